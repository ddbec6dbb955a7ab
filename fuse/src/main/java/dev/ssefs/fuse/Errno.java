package dev.ssefs.fuse;

import ru.serce.jnrfuse.ErrorCodes;

/** The errno values the filesystem returns, resolved once for this platform (positive; callbacks negate them). */
public final class Errno {
    public static final int EPERM = ErrorCodes.EPERM();
    public static final int ENOENT = ErrorCodes.ENOENT();
    public static final int EIO = ErrorCodes.EIO();
    public static final int EBADF = ErrorCodes.EBADF();
    public static final int EACCES = ErrorCodes.EACCES();
    public static final int EEXIST = ErrorCodes.EEXIST();
    public static final int EXDEV = ErrorCodes.EXDEV();
    public static final int ENOTDIR = ErrorCodes.ENOTDIR();
    public static final int EISDIR = ErrorCodes.EISDIR();
    public static final int EINVAL = ErrorCodes.EINVAL();
    public static final int EFBIG = ErrorCodes.EFBIG();
    public static final int ENOSPC = ErrorCodes.ENOSPC();
    public static final int EROFS = ErrorCodes.EROFS();
    public static final int ERANGE = ErrorCodes.ERANGE();
    public static final int ENAMETOOLONG = ErrorCodes.ENAMETOOLONG();
    public static final int ENOTEMPTY = ErrorCodes.ENOTEMPTY();
    public static final int ENODATA = ErrorCodes.ENODATA();
    public static final int ENOTSUP = ErrorCodes.EOPNOTSUPP();
    public static final int EBUSY = ErrorCodes.EBUSY();

    private Errno() {}
}
