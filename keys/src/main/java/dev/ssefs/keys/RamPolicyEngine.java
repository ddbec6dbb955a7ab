package dev.ssefs.keys;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RAM policies attached to principals, persisted (sealed) in keys.db and cached parsed, so {@link #isAllowed}
 * is a lock-free walk over pre-compiled wildcards.
 */
final class RamPolicyEngine implements RamPolicies {
    static final String PREFIX = "policy/";
    private static final Set<String> STATEMENT_FIELDS = Set.of("Effect", "Action", "Resource");

    private final SealedStore store;
    private final ObjectMapper json = new ObjectMapper();
    private final ConcurrentHashMap<String, Compiled> policies = new ConcurrentHashMap<>();

    record Statement(boolean allow, List<Wildcard> actions, List<Wildcard> resources) {
        boolean matches(String action, String resource) {
            return any(actions, action) && any(resources, resource);
        }

        private static boolean any(List<Wildcard> ws, String s) {
            for (Wildcard w : ws) if (w.matches(s)) return true;
            return false;
        }
    }

    record Compiled(String json, List<Statement> statements) {}

    RamPolicyEngine(SealedStore store) {
        this.store = store;
        for (Map.Entry<String, byte[]> e : store.loadedRecords().entrySet()) {
            if (e.getKey().startsWith(PREFIX)) {
                String principal = e.getKey().substring(PREFIX.length());
                String doc = new String(e.getValue(), StandardCharsets.UTF_8);
                policies.put(principal, compile(doc));
            }
        }
    }

    @Override
    public void putPolicy(String principal, String policyJson) {
        if (principal == null || principal.isBlank() || !principal.matches("[A-Za-z0-9._@-]{1,128}")) {
            throw KmsErrors.invalidParameter("A principal name is 1 to 128 letters, digits, '.', '_', '@' or '-'.");
        }
        if (ROOT.equals(principal)) {
            throw KmsErrors.invalidParameter("root is the account owner and is always allowed; it takes no policy.");
        }
        Compiled c = compile(policyJson);
        synchronized (this) {
            store.write(Map.of(PREFIX + principal, policyJson.getBytes(StandardCharsets.UTF_8)), List.of());
            policies.put(principal, c);
        }
    }

    @Override
    public Optional<String> getPolicy(String principal) {
        Compiled c = principal == null ? null : policies.get(principal);
        return c == null ? Optional.empty() : Optional.of(c.json());
    }

    @Override
    public List<String> listPrincipals() {
        List<String> l = new ArrayList<>(policies.keySet());
        l.sort(null);
        return l;
    }

    @Override
    public boolean isAllowed(String principal, String action, String resource) {
        if (ROOT.equals(principal)) return true;
        Compiled c = principal == null ? null : policies.get(principal);
        if (c == null) return false;
        boolean allowed = false;
        for (Statement s : c.statements()) {
            if (s.matches(action, resource)) {
                if (!s.allow()) return false; // an explicit Deny wins
                allowed = true;
            }
        }
        return allowed;
    }

    static Compiled compile(String policyJson) {
        if (policyJson == null || policyJson.isBlank()) throw KmsErrors.malformedPolicy("the document is empty.");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(policyJson);
        } catch (JsonProcessingException e) {
            throw KmsErrors.malformedPolicy("it is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ").");
        }
        if (root == null || !root.isObject()) throw KmsErrors.malformedPolicy("the document must be a JSON object.");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("Version") && !f.equals("Statement")) {
                throw KmsErrors.malformedPolicy("unknown top-level field \"" + f + "\".");
            }
        }
        JsonNode version = root.get("Version");
        if (version == null || !version.isTextual() || !version.asText().equals("1")) {
            throw KmsErrors.malformedPolicy("\"Version\" must be \"1\".");
        }
        JsonNode statements = root.get("Statement");
        if (statements == null || !statements.isArray()) {
            throw KmsErrors.malformedPolicy("\"Statement\" must be a list of statements.");
        }
        List<Statement> out = new ArrayList<>();
        int i = 0;
        for (JsonNode st : statements) {
            String where = "Statement[" + i++ + "]";
            if (!st.isObject()) throw KmsErrors.malformedPolicy(where + " must be an object.");
            for (Iterator<String> it = st.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!STATEMENT_FIELDS.contains(f)) {
                    throw KmsErrors.malformedPolicy(where + " has the field \"" + f
                            + "\", which ssefs does not support (only Effect, Action and Resource).");
                }
            }
            JsonNode effect = st.get("Effect");
            if (effect == null || !effect.isTextual()
                    || !(effect.asText().equals("Allow") || effect.asText().equals("Deny"))) {
                throw KmsErrors.malformedPolicy(where + ".Effect must be \"Allow\" or \"Deny\".");
            }
            out.add(new Statement(effect.asText().equals("Allow"),
                    patterns(st.get("Action"), where + ".Action", true),
                    patterns(st.get("Resource"), where + ".Resource", false)));
        }
        return new Compiled(policyJson, List.copyOf(out));
    }

    private static List<Wildcard> patterns(JsonNode n, String where, boolean ignoreCase) {
        List<Wildcard> out = new ArrayList<>();
        if (n != null && n.isTextual()) {
            out.add(new Wildcard(n.asText(), ignoreCase));
        } else if (n != null && n.isArray() && !n.isEmpty()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) throw KmsErrors.malformedPolicy(where + " must hold only strings.");
                out.add(new Wildcard(e.asText(), ignoreCase));
            }
        } else {
            throw KmsErrors.malformedPolicy(where + " must be a string or a non-empty list of strings.");
        }
        return List.copyOf(out);
    }
}
