package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.OssErrors;
import dev.ssefs.objectcore.OssException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Mirroring-based back-to-origin: fetches a missing object from a local directory or an http(s) URL. */
public final class Origins {
    /** Built on the first http(s) fetch: building one initialises TLS (~0.3 s of a cold start) that most stores never use. */
    private volatile HttpClient http;

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                h = http;
                if (h == null) {
                    h = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                            .followRedirects(HttpClient.Redirect.NORMAL).build();
                    http = h;
                }
            }
        }
        return h;
    }

    /** An origin's answer; close {@code body}. */
    public record Fetched(InputStream body, String contentType) implements AutoCloseable {
        @Override
        public void close() throws IOException { body.close(); }
    }

    /** Validates and normalises an origin: an http(s) URL, or an existing local directory (made absolute). */
    public static String normalise(String origin) {
        if (origin == null) return null;
        if (origin.startsWith("http://") || origin.startsWith("https://")) {
            try {
                URI u = URI.create(origin);
                if (u.getHost() == null) throw new IllegalArgumentException("no host");
                return origin;
            } catch (IllegalArgumentException e) {
                throw OssErrors.invalidArgument("The origin URL is not valid: " + origin);
            }
        }
        Path p = Path.of(origin).toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw OssErrors.invalidArgument("The origin must be an http(s) URL or an existing directory: " + origin);
        }
        return p.toString();
    }

    /** The object at {@code key} under {@code origin}, or null when the origin has none (404). */
    public Fetched fetch(String origin, String key) throws IOException {
        if (origin.startsWith("http://") || origin.startsWith("https://")) return fetchHttp(origin, key);
        Path base = Path.of(origin);
        Path p = base.resolve(key).normalize();
        if (!p.startsWith(base) || !Files.isRegularFile(p)) return null;
        String ct = Files.probeContentType(p);
        return new Fetched(Files.newInputStream(p), ct);
    }

    private Fetched fetchHttp(String origin, String key) throws IOException {
        StringBuilder path = new StringBuilder();
        for (String seg : key.split("/", -1)) {
            if (path.length() > 0) path.append('/');
            path.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        URI uri = URI.create((origin.endsWith("/") ? origin : origin + "/") + path);
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = http().send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + uri, e);
        }
        int status = resp.statusCode();
        if (status == 404) {
            resp.body().close();
            return null;
        }
        if (status / 100 != 2) {
            resp.body().close();
            throw new OssException(424, "MirrorFailed", "Back-to-origin fetch of " + uri + " failed with HTTP " + status + ".");
        }
        return new Fetched(resp.body(), resp.headers().firstValue("Content-Type").orElse(null));
    }
}
