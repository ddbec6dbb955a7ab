package dev.ssefs.cli;

import dev.ssefs.keys.Kms;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ssefs key alias ...}: CreateAlias, DeleteAlias, ListAliases and ListAliasesByKeyId. */
final class AliasCommands {
    private AliasCommands() {}

    static Command group() {
        Command alias = Command.group("alias", "Manage key aliases (alias/NAME), usable wherever a KeyId is.");
        alias.add(Command.leaf("create", "ALIAS ID", "Point a new alias at a key (CreateAlias).", 2, 2, AliasCommands::create));
        alias.add(Command.leaf("delete", "ALIAS", "Delete an alias; the key stays (DeleteAlias).", 1, 1, AliasCommands::delete));
        alias.add(Command.leaf("list", "[ID]", "List all aliases, or those of one key (ListAliases, ListAliasesByKeyId).", 0, 1,
                AliasCommands::list));
        return alias;
    }

    static int create(Invocation inv, Command.Args a) {
        inv.kms().createAlias(a.arg(0), a.arg(1));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("AliasName", a.arg(0));
        r.put("KeyId", a.arg(1));
        KeyCommands.print(inv, r);
        return Main.OK;
    }

    static int delete(Invocation inv, Command.Args a) {
        inv.kms().deleteAlias(a.arg(0));
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("AliasName", a.arg(0)));
        } else {
            inv.output().line("Deleted alias " + a.arg(0));
        }
        return Main.OK;
    }

    static int list(Invocation inv, Command.Args a) {
        Kms kms = inv.kms();
        List<Kms.Alias> aliases = a.arg(0) == null ? kms.listAliases() : kms.listAliasesByKeyId(a.arg(0));
        if (inv.output().json()) {
            inv.output().writeJson(KmsJson.aliases(aliases));
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (Kms.Alias al : aliases) {
                rows.add(List.of(al.aliasName(), al.keyId(), KeyCommands.nz(al.aliasArn())));
            }
            inv.output().table(List.of("AliasName", "KeyId", "AliasArn"), rows);
        }
        return Main.OK;
    }
}
