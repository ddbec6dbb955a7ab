package dev.ssefs.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * One node of the command tree: a group ({@code ssefs key}, {@code ssefs key alias}) that names
 * sub-commands, or a leaf that parses its own options and runs an {@link Action}. Immutable once built.
 */
final class Command {
    /** What a leaf does. Returns the exit status; throws KMS/OSS errors, {@link UsageException} or {@link CliFailure}. */
    @FunctionalInterface
    interface Action {
        int run(Invocation inv, Args args) throws Exception;
    }

    private final String name;
    private final String summary;
    private final String argsSyntax;
    private final Options options;
    private final int minArgs;
    private final int maxArgs;
    private final Action action;
    private final Map<String, Command> children = new LinkedHashMap<>();
    private Command parent;
    private String details = "";

    private Command(String name, String summary, String argsSyntax, Options options, int minArgs, int maxArgs, Action action) {
        this.name = name;
        this.summary = summary;
        this.argsSyntax = argsSyntax;
        this.options = options;
        this.minArgs = minArgs;
        this.maxArgs = maxArgs;
        this.action = action;
    }

    static Command group(String name, String summary) {
        return new Command(name, summary, "COMMAND", new Options(), 0, 0, null);
    }

    /** A leaf taking {@code minArgs}..{@code maxArgs} positional arguments (maxArgs -1: unbounded). */
    static Command leaf(String name, String argsSyntax, String summary, int minArgs, int maxArgs, Action action, Option... opts) {
        Options o = new Options();
        for (Option opt : opts) {
            o.addOption(opt);
        }
        return new Command(name, summary, argsSyntax, o, minArgs, maxArgs, action);
    }

    Command add(Command child) {
        child.parent = this;
        children.put(child.name, child);
        return this;
    }

    /** A paragraph for the help text below the summary. */
    Command details(String text) {
        this.details = text;
        return this;
    }

    boolean isGroup() {
        return action == null;
    }

    String name() {
        return name;
    }

    String summary() {
        return summary;
    }

    String details() {
        return details;
    }

    String argsSyntax() {
        return argsSyntax;
    }

    Options options() {
        return options;
    }

    Action action() {
        return action;
    }

    Command child(String childName) {
        return children.get(childName);
    }

    Collection<Command> children() {
        return Collections.unmodifiableCollection(children.values());
    }

    /** e.g. {@code ssefs key alias create}. */
    String fullName() {
        List<String> names = new ArrayList<>();
        for (Command c = this; c != null; c = c.parent) {
            names.add(0, c.name);
        }
        return String.join(" ", names);
    }

    /** The name in messages: {@code key alias create} (the root prints as {@code ssefs}). */
    String path() {
        String full = fullName();
        return full.startsWith("ssefs ") ? full.substring("ssefs ".length()) : full;
    }

    void checkArgCount(List<String> args) {
        if (args.size() < minArgs) {
            throw new UsageException(path() + ": missing " + (argsSyntax.isEmpty() ? "arguments" : "argument(s): expected " + argsSyntax), this);
        }
        if (maxArgs >= 0 && args.size() > maxArgs) {
            List<String> extra = args.subList(maxArgs, args.size());
            throw new UsageException(path() + ": unexpected argument(s): " + String.join(" ", extra), this);
        }
    }

    /** The parsed command line of a leaf: positional arguments and option values, with usage checks. */
    static final class Args {
        private final Command command;
        private final CommandLine line;

        Args(Command command, CommandLine line) {
            this.command = command;
            this.line = line;
        }

        Command command() {
            return command;
        }

        /** Positional argument {@code i}, or null when absent. */
        String arg(int i) {
            List<String> a = line.getArgList();
            return i < a.size() ? a.get(i) : null;
        }

        List<String> args() {
            return line.getArgList();
        }

        /** Every value of a repeatable option (empty when absent). */
        String[] values(String option) {
            String[] v = line.getOptionValues(option);
            return v == null ? new String[0] : v;
        }

        boolean has(String option) {
            return line.hasOption(option);
        }

        String get(String option) {
            return line.getOptionValue(option);
        }

        String get(String option, String fallback) {
            return line.getOptionValue(option, fallback);
        }

        String required(String option) {
            String v = line.getOptionValue(option);
            if (v == null) {
                throw new UsageException(command.path() + ": missing required option --" + option, command);
            }
            return v;
        }

        int intOption(String option, int fallback) {
            String v = line.getOptionValue(option);
            return v == null ? fallback : parseInt(option, v);
        }

        long longOption(String option, long fallback) {
            String v = line.getOptionValue(option);
            if (v == null) {
                return fallback;
            }
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new UsageException(command.path() + ": --" + option + " must be an integer, not '" + v + "'", command);
            }
        }

        int parseInt(String option, String v) {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new UsageException(command.path() + ": --" + option + " must be an integer, not '" + v + "'", command);
            }
        }

        UsageException usage(String message) {
            return new UsageException(command.path() + ": " + message, command);
        }
    }
}
