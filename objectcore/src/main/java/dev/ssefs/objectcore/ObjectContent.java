package dev.ssefs.objectcore;

import java.io.InputStream;

/** A GetObject answer: the index entry and a stream of (a range of) the plaintext. Close the stream. */
public record ObjectContent(ObjectMeta meta, InputStream body, long contentLength) {}
