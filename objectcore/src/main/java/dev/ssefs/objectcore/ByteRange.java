package dev.ssefs.objectcore;

/** An inclusive byte range as in HTTP Range: {@code first}..{@code last}; {@code last} -1 means to the end. */
public record ByteRange(long first, long last) {}
