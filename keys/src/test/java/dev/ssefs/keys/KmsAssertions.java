package dev.ssefs.keys;

import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class KmsAssertions {
    private KmsAssertions() {}

    /** Asserts HTTP status, error code AND the exact message. */
    static KmsException assertKmsError(int status, String code, String message, Executable call) {
        KmsException e = assertThrows(KmsException.class, call);
        assertAll(
                () -> assertEquals(code, e.code(), "code"),
                () -> assertEquals(status, e.httpStatus(), "status"),
                () -> assertEquals(message, e.getMessage(), "message"));
        return e;
    }

    static void assertAccessDenied(Executable call) {
        assertKmsError(403, "AccessDenied", "This request is forbidden by kms.", call);
    }

    static void assertKeyNotFound(Executable call) {
        assertKmsError(404, "Forbidden.KeyNotFound", "The specified Key is not found.", call);
    }

    static void assertRejected(String state, Executable call) {
        assertKmsError(409, "Rejected." + state, "The request was rejected because the key state is " + state + ".", call);
    }

    static void assertInvalidParameter(String detail, Executable call) {
        assertKmsError(400, "InvalidParameter", "The specified parameter is not valid. " + detail, call);
    }
}
