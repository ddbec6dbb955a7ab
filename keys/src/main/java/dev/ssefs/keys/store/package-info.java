/**
 * Crash-safe storage for the MapDB files of a data dir: {@link dev.ssefs.keys.store.JournaledVolume} gives MapDB's
 * StoreDirect atomic commits (keys.db here, meta.db in objectcore). It lives in keys because objectcore depends on keys,
 * not the reverse.
 */
package dev.ssefs.keys.store;
