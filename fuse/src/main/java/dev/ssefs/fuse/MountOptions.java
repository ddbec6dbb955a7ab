package dev.ssefs.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code -o} options of {@code ssefs mount}, in s3fs style, plus what fstab lines carry
 * ({@code data_dir=}, {@code passphrase_file=}, {@code principal=}) and generic mount(8) options that
 * are accepted and ignored ({@code _netdev}, {@code defaults}, {@code nofail}, ...).
 */
public final class MountOptions {
    /** Default bound of staged (not yet committed) data kept in memory per open file before spilling to the spool. */
    public static final long DEFAULT_STAGE_MEMORY = 8L << 20;

    public boolean readOnly;
    public boolean allowOther;
    public boolean defaultPermissions;
    /** Owner and mode mask for objects that carry no POSIX attributes (e.g. put by {@code ssefs cp}) and implied dirs. */
    public Integer uid;
    public Integer gid;
    public Integer umask;
    public long stageMemory = DEFAULT_STAGE_MEMORY;
    /**
     * Files written through the mount get their content's MD5 as ETag up to this size; larger ones a unique version
     * ETag ({@code <32 hex>-1}): MD5 runs at ~700 MB/s on one core, slower than the encryption, and OSS itself gives
     * the content MD5 only to objects made by one PutObject (ossfs uploads large files in parts). {@code -o etag=md5}
     * hashes every file.
     */
    public static final long DEFAULT_MD5_ETAG_LIMIT = 16L << 20;
    public long md5EtagLimit = DEFAULT_MD5_ETAG_LIMIT;
    /** The heap that staged pages of all open files share (the JVM's, see {@link StageBudget#shared()}). */
    public StageBudget stageBudget = StageBudget.shared();
    public double attrTimeout = 1.0;
    public double entryTimeout = 1.0;
    public boolean kernelCache;
    public String dataDir;
    public String passphraseFile;
    public String principal;
    public boolean debug;
    /** Options given through to libfuse unchanged (nosuid, nodev, noexec, ...). */
    public final List<String> passThrough = new ArrayList<>();

    private static final List<String> IGNORED = List.of("_netdev", "defaults", "nofail", "noauto", "auto", "user",
            "nouser", "users", "rw", "dev", "suid", "exec", "async", "atime", "relatime", "noatime", "nodiratime",
            "big_writes", "auto_unmount", "nonempty");
    private static final List<String> PASSED = List.of("nosuid", "nodev", "noexec", "sync", "dirsync");

    /** Parses comma-separated option lists (several {@code -o} allowed). Unknown options are an error. */
    public static MountOptions parse(List<String> optionLists) {
        MountOptions o = new MountOptions();
        for (String list : optionLists) {
            for (String raw : list.split(",")) {
                String opt = raw.trim();
                if (!opt.isEmpty()) o.apply(opt);
            }
        }
        return o;
    }

    private void apply(String opt) {
        int eq = opt.indexOf('=');
        String name = (eq < 0 ? opt : opt.substring(0, eq)).toLowerCase(Locale.ROOT);
        String value = eq < 0 ? null : opt.substring(eq + 1);
        switch (name) {
            case "ro" -> readOnly = true;
            case "allow_other" -> allowOther = true;
            case "default_permissions" -> defaultPermissions = true;
            case "uid" -> uid = intValue(name, value, 10);
            case "gid" -> gid = intValue(name, value, 10);
            case "umask" -> {
                umask = intValue(name, value, 8);
                if (umask < 0 || umask > 0777) throw new IllegalArgumentException("umask must be octal 0..0777: " + value);
            }
            case "stage_mem" -> stageMemory = sizeValue(name, value);
            case "attr_timeout" -> attrTimeout = doubleValue(name, value);
            case "entry_timeout" -> entryTimeout = doubleValue(name, value);
            case "kernel_cache" -> kernelCache = true;
            case "etag" -> {
                String v = required(name, value).toLowerCase(Locale.ROOT);
                switch (v) {
                    case "md5" -> md5EtagLimit = Long.MAX_VALUE;
                    case "auto" -> md5EtagLimit = DEFAULT_MD5_ETAG_LIMIT;
                    default -> throw new IllegalArgumentException("mount option etag= must be md5 or auto: " + value);
                }
            }
            case "data_dir" -> dataDir = required(name, value);
            case "passphrase_file" -> passphraseFile = required(name, value);
            case "principal" -> principal = required(name, value);
            case "debug" -> debug = true;
            default -> {
                if (name.startsWith("x-") || name.startsWith("comment") || IGNORED.contains(name)) return;
                if (PASSED.contains(name)) { passThrough.add(name); return; }
                throw new IllegalArgumentException("unknown mount option: " + opt);
            }
        }
    }

    /** The libfuse option string for this mount. */
    public String fuseOptions(String bucket, boolean autoUnmount) {
        List<String> l = new ArrayList<>();
        l.add("fsname=oss://" + bucket);
        l.add("subtype=ssefs");
        l.add("big_writes");
        l.add("max_read=131072");
        l.add("max_write=131072");
        l.add("max_readahead=1048576"); // more reads in flight: decryption runs on several threads
        l.add("hard_remove");
        l.add("atomic_o_trunc");
        l.add(kernelCache ? "kernel_cache" : "auto_cache");
        l.add("attr_timeout=" + attrTimeout);
        l.add("entry_timeout=" + entryTimeout);
        if (autoUnmount) l.add("auto_unmount");
        if (readOnly) l.add("ro");
        if (allowOther) l.add("allow_other");
        // other users reach decrypted data through allow_other: the kernel must check mode and owner for them
        if (defaultPermissions || allowOther) l.add("default_permissions");
        l.addAll(passThrough);
        return String.join(",", l);
    }

    private static String required(String name, String value) {
        if (value == null || value.isEmpty()) throw new IllegalArgumentException("mount option " + name + "= needs a value");
        return value;
    }

    private static int intValue(String name, String value, int radix) {
        try {
            return Integer.parseInt(required(name, value), radix);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option " + name + "= is not a number: " + value);
        }
    }

    private static double doubleValue(String name, String value) {
        try {
            double d = Double.parseDouble(required(name, value));
            if (d < 0 || Double.isNaN(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option " + name + "= is not a non-negative number: " + value);
        }
    }

    private static long sizeValue(String name, String value) {
        String v = required(name, value).trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (v.endsWith("K")) mult = 1L << 10; else if (v.endsWith("M")) mult = 1L << 20; else if (v.endsWith("G")) mult = 1L << 30;
        if (mult > 1) v = v.substring(0, v.length() - 1);
        try {
            long n = Long.parseLong(v) * mult;
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option " + name + "= is not a size (e.g. 64M): " + value);
        }
    }
}
