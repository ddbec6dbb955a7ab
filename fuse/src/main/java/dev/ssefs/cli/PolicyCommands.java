package dev.ssefs.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ssefs.keys.KeyManagement;
import dev.ssefs.keys.KmsException;
import dev.ssefs.keys.RamPolicies;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ssefs policy ...}: RAM policies attached to principals. Managing policies is account administration:
 * the account owner may, other principals only when a policy allows the {@code ram:} action.
 */
final class PolicyCommands {
    private static final long MAX_POLICY = 128 * 1024;

    private PolicyCommands() {}

    static Command group() {
        Command policy = Command.group("policy", "Manage the RAM policies of principals (who may call which KMS/OSS action).")
                .details("Example policy:\n"
                        + "  {\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kms:List*\",\"kms:DescribeKey\"],"
                        + "\"Resource\":[\"acs:kms:*:*:*\"]}]}\n"
                        + "The account owner 'root' may do everything; any other principal is denied what no statement allows,\n"
                        + "and an explicit Deny always wins.");
        policy.add(Command.leaf("put", "PRINCIPAL FILE.json", "Attach a policy document to a principal, replacing its policy (- reads stdin).",
                2, 2, PolicyCommands::put));
        policy.add(Command.leaf("get", "PRINCIPAL", "Print a principal's policy document.", 1, 1, PolicyCommands::get));
        policy.add(Command.leaf("list", "", "List the principals that have a policy.", 0, 0, PolicyCommands::list));
        return policy;
    }

    static int put(Invocation inv, Command.Args a) {
        String principal = checkPrincipal(a, a.arg(0));
        byte[] doc = inv.readLocal(a.arg(1), MAX_POLICY);
        KeyManagement km = inv.stores().keys();
        authorize(inv, km, "ram:AttachPolicyToUser", "user/" + principal);
        km.policies().putPolicy(principal, new String(doc, StandardCharsets.UTF_8));
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("PrincipalName", principal));
        } else {
            inv.output().line("Attached policy to " + principal);
        }
        return Main.OK;
    }

    static int get(Invocation inv, Command.Args a) {
        String principal = checkPrincipal(a, a.arg(0));
        KeyManagement km = inv.stores().keys();
        authorize(inv, km, "ram:GetPolicy", "user/" + principal);
        String doc = km.policies().getPolicy(principal).orElseThrow(() -> new KmsException(404, "EntityNotExist.Policy",
                "No policy is attached to principal " + principal + "."));
        if (inv.output().json()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("PrincipalName", principal);
            r.put("PolicyDocument", doc);
            inv.output().writeJson(r);
        } else {
            inv.output().line(pretty(doc));
        }
        return Main.OK;
    }

    static int list(Invocation inv, Command.Args a) {
        KeyManagement km = inv.stores().keys();
        authorize(inv, km, "ram:ListPolicies", "*");
        List<String> principals = km.policies().listPrincipals();
        if (inv.output().json()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("Principals", principals);
            r.put("TotalCount", principals.size());
            inv.output().writeJson(r);
        } else {
            principals.forEach(inv.output()::line);
        }
        return Main.OK;
    }

    private static String checkPrincipal(Command.Args a, String principal) {
        if (principal.isBlank()) {
            throw a.usage("PRINCIPAL must not be empty");
        }
        return principal;
    }

    private static void authorize(Invocation inv, KeyManagement km, String action, String resource) {
        String arn = "acs:ram:*:" + km.accountId() + ":" + resource;
        if (!km.policies().isAllowed(inv.principal(), action, arn)) {
            throw new KmsException(403, "AccessDenied", "This request is forbidden by ram.");
        }
    }

    private static String pretty(String doc) {
        try {
            JsonNode tree = Output.mapper().readTree(doc);
            return Output.mapper().writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            return doc;
        }
    }
}
