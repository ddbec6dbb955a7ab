package dev.ssefs.objectcore;

import java.util.List;

/** ListObjects: objects and common prefixes in lexicographic order, and the next marker when truncated. */
public record ListResult(List<ObjectMeta> objects, List<String> commonPrefixes, boolean truncated, String nextMarker) {}
