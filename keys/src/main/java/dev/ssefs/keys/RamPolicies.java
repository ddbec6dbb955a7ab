package dev.ssefs.keys;

import java.util.List;
import java.util.Optional;

/**
 * RAM policies attached to named principals. The account owner ({@code root}) is allowed everything;
 * any other principal is denied unless a statement allows, and an explicit Deny always wins.
 */
public interface RamPolicies {
    String ROOT = "root";

    /** Validates and stores the policy; malformed JSON is 400 {@code MalformedPolicyDocument}. */
    void putPolicy(String principal, String policyJson);

    Optional<String> getPolicy(String principal);

    List<String> listPrincipals();

    boolean isAllowed(String principal, String action, String resource);
}
