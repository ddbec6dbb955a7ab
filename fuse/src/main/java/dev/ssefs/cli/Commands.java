package dev.ssefs.cli;

import org.apache.commons.cli.Option;

/** The command tree of {@code ssefs}, and small helpers to declare options. */
final class Commands {
    private Commands() {}

    static Command root() {
        Command root = Command.group("ssefs", "ssefs: OSS-style buckets with server-side encryption, an embedded KMS, and a FUSE mount.");
        root.add(KeyCommands.group());
        root.add(PolicyCommands.group());
        ObjectCommands.register(root);
        MountCli.register(root);
        return root;
    }

    static Option opt(String longName, String argName, String description) {
        return Option.builder().longOpt(longName).hasArg().argName(argName).desc(description).build();
    }

    static Option flag(String longName, String description) {
        return Option.builder().longOpt(longName).desc(description).build();
    }

    static Option flag(String shortName, String longName, String description) {
        return Option.builder(shortName).longOpt(longName).desc(description).build();
    }
}
