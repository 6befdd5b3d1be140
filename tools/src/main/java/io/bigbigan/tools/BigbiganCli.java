package io.bigbigan.tools;

import io.bigbigan.bindings.FileErrors;
import io.bigbigan.nativelib.Provenance;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.loop.RunLock;
import io.bigbigan.bindings.NonFiniteException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * The {@code bigbigan} command. Exit codes: 0 success, 1 failure (one-line error; {@code --verbose} adds the stack
 * trace), 2 bad usage (unparsable options, and {@link OptionException}: values out of range), 3 NaN/Inf
 * ({@link NonFiniteException}), 4 stopped by a signal.
 */
@Command(name = "bigbigan", mixinStandardHelpOptions = true, versionProvider = BigbiganCli.Version.class,
        description = "BiGAN / BigBiGAN adversarial representation learning on LibTorch.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, TrainClassifierCommand.class, InterpolateCommand.class, DiagnoseCommand.class, ReportCommand.class, SampleCommand.class, ReconstructCommand.class,
                InfoCommand.class, BenchCommand.class, PresetsCommand.class, InspectCommand.class, ConvertCommand.class,
                EncodeCommand.class, ScoreCommand.class, ResumeCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 error, 2 usage error (also an option value out of",
                "its range), 3 NaN/Inf loss, gradient or gradient norm (training stopped before",
                "the optimiser step) or NaN/Inf weights or optimiser state in a checkpoint,",
                "4 training stopped by SIGINT/SIGTERM after writing a checkpoint (after the last",
                "checkpoint, e.g. during the final evaluation: at once).",
                "", "'bigbigan COMMAND --help' describes a command's options, with examples."})
public final class BigbiganCli implements java.util.concurrent.Callable<Integer> {
    /** {@code --version}: the build's version, the one checkpoints record ({@link Provenance#projectVersion}). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"bigbigan " + Provenance.projectVersion()};
        }
    }

    /** A bad option value (picocli's status for options it cannot parse; ours for values out of range). */
    public static final int EXIT_USAGE = 2;
    /**
     * A loss, gradient or gradient norm became NaN/Inf (training stopped before the optimiser step; last checkpoint
     * intact), or a checkpoint's weights or optimiser state hold NaN/Inf (refused when loading).
     */
    public static final int EXIT_NON_FINITE = 3;
    /** Training was stopped by SIGINT/SIGTERM after writing a checkpoint. */
    public static final int EXIT_STOPPED = 4;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** No command: the usage on standard error, exit 2 (as for an unknown command). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** Builds the command line with the project's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = HelpLayout.install(new CommandLine(new BigbiganCli()));
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(name + ": " + usageError(ex));
            cmd.getErr().println("Try '" + name + " --help' for more information.");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionStrategy(parse -> {
            refuseUnmatched(parse);       // 'bigbigan UNKNOWN --help': picocli would print the help and exit 0
            OptionRanges.check(parse);    // every numeric option in its range, before any command starts its work
            return new CommandLine.RunLast().execute(parse);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            boolean verbose = parse.matchedOption("--verbose") != null
                    || parse.subcommand() != null && hasVerbose(parse);
            if (verbose) ex.printStackTrace(cmd.getErr());
            if (ex instanceof OptionException) {        // a value out of range: a usage error, as picocli's own
                if (!verbose) cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": usage error: " + oneLine(ex)
                        + " (see bigbigan " + cmd.getCommandName() + " --help)");
                return EXIT_USAGE;
            }
            String oom = nativeOutOfMemory(ex, cmd.getCommandSpec());
            if (oom != null) {                          // one line; LibTorch's C++ frames only with --verbose
                if (!verbose) cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": error: " + oom);
                return 1;
            }
            if (!verbose) cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": error: " + oneLine(ex));
            if (ex instanceof RunLock.RefusedException) return EXIT_USAGE;   // run folder in use or holding a run
            return ex instanceof NonFiniteException ? EXIT_NON_FINITE : 1;
        });
        return cl;
    }

    /**
     * Arguments that no command takes are a usage error also when {@code --help} is given with them (picocli would
     * print the help of the command before them and exit 0).
     */
    private static void refuseUnmatched(CommandLine.ParseResult parse) {
        for (CommandLine.ParseResult p = parse; p != null; p = p.subcommand()) {
            if (p.unmatched().isEmpty() || p.commandSpec().parser().unmatchedArgumentsAllowed()
                    || !p.commandSpec().unmatchedArgsBindings().isEmpty()) continue;
            throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
        }
    }

    private static boolean hasVerbose(CommandLine.ParseResult p) {
        for (CommandLine.ParseResult r = p; r != null; r = r.subcommand())
            if (r.matchedOption("--verbose") != null) return true;
        return false;
    }

    /**
     * A usage error in one line: an unknown option or command by name, with picocli's suggestions of the nearest
     * names ("unknown option '--stpes' (did you mean --steps?)"); other errors as picocli words them.
     */
    static String usageError(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) return oneLine(ex);
        List<String> unmatched = u.getUnmatched();
        List<String> options = unmatched.stream().filter(a -> a.startsWith("-") && a.length() > 1).toList();
        boolean command = options.isEmpty() && !u.getCommandLine().getSubcommands().isEmpty();
        List<String> named = options.isEmpty() ? unmatched.subList(0, 1) : options;
        String what = (options.isEmpty() ? command ? "unknown command " : "unexpected argument "
                : options.size() > 1 ? "unknown options " : "unknown option ")
                + String.join(", ", named.stream().map(a -> "'" + a + "'").toList());
        List<String> suggestions = closest(named.getFirst(), command
                ? u.getCommandLine().getSubcommands().keySet()
                : u.getCommandLine().getCommandSpec().optionsMap().keySet());
        if (suggestions.isEmpty()) return what;
        String alts = suggestions.size() == 1 ? suggestions.getFirst()
                : String.join(", ", suggestions.subList(0, suggestions.size() - 1)) + " or " + suggestions.getLast();
        return what + " (did you mean " + alts + "?)";
    }

    /**
     * The names closest to {@code typed}: those within a few edits (one up to 4 letters, two up to 11, then three;
     * swapping two neighbouring letters is one edit), the nearest only; else those it begins (4 letters or more).
     * Nothing when none is close.
     */
    static List<String> closest(String typed, java.util.Collection<String> names) {
        String t = typed.replaceFirst("^-+", "").toLowerCase(java.util.Locale.ROOT);
        int limit = t.length() <= 4 ? 1 : t.length() < 12 ? 2 : 3, best = Integer.MAX_VALUE;
        List<String> out = new java.util.ArrayList<>();
        for (String n : names.stream().sorted().toList()) {
            int d = editDistance(t, n.replaceFirst("^-+", "").toLowerCase(java.util.Locale.ROOT));
            if (d > limit || d > best) continue;
            if (d < best) out.clear();
            best = d;
            out.add(n);
        }
        if (out.isEmpty() && t.length() >= 4)
            for (String n : names.stream().sorted().toList())
                if (n.replaceFirst("^-+", "").toLowerCase(java.util.Locale.ROOT).startsWith(t)) out.add(n);
        return out;
    }

    /** Edits (insertions, deletions, substitutions, swaps of neighbours) between a and b (optimal string alignment). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++)
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        return d[a.length()][b.length()];
    }

    /**
     * A LibTorch allocation failure ({@code DefaultCPUAllocator: not enough memory: you tried to allocate N bytes},
     * {@code CUDA out of memory. Tried to allocate ...}) anywhere in {@code ex}'s causes, as one line: how much was
     * asked, with the command's preset and batch sizes, and what to try; null for other errors.
     */
    static String nativeOutOfMemory(Throwable ex, CommandLine.Model.CommandSpec command) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) continue;
            var cpu = java.util.regex.Pattern.compile("you tried to allocate (\\d+) bytes").matcher(m);
            var gpu = java.util.regex.Pattern.compile("CUDA out of memory\\. Tried to allocate ([0-9.]+ ?[KMGT]i?B)").matcher(m);
            String asked = cpu.find() ? String.format(java.util.Locale.ROOT, "%,d bytes (%.1f GiB)",
                    Long.parseLong(cpu.group(1)), Long.parseLong(cpu.group(1)) / 1073741824.0)
                    : gpu.find() ? gpu.group(1) + " on the GPU" : null;
            if (asked == null) continue;
            List<String> given = new java.util.ArrayList<>();
            for (String name : List.of("--preset", "--batch", "--accumulate", "--eval-batch", "--precision")) {
                CommandLine.Model.OptionSpec o = command.findOption(name);
                if (o != null && o.getValue() != null) given.add(name + " " + o.getValue());
            }
            return "out of native memory: LibTorch could not allocate " + asked
                    + (given.isEmpty() ? "" : " (" + String.join(", ", given) + ")")
                    + "; try a smaller --batch (training; --accumulate K splits a batch into K passes) or --eval-batch"
                    + " (evaluation, sampling, image grids), or free memory (--verbose prints LibTorch's frames)";
        }
        return null;
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        int frames = m == null ? -1 : m.indexOf("Exception raised from ");  // a LibTorch error's C++ frames
        if (frames > 0) m = m.substring(0, frames);
        if (ex instanceof java.nio.file.FileSystemException f && (f.getReason() == null || f.getReason().isBlank()))
            m = m + ": " + FileErrors.reason(f);       // its message is often the bare path (e.g. --out at a file)
        if (m == null || m.isBlank()) m = ex.getClass().getSimpleName();
        return m.replace('\n', ' ').replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) {
        CliLogging.install();   // the library's SLF4J notices as "bigbigan: ..." lines on standard error
        Torch.load();   // before any preset class: unpacks the natives safely
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {                 // an Error: picocli's exception handler does not see it
            System.err.println("bigbigan: error: " + memoryHint(e));
            code = 1;
        }
        System.exit(code);
    }

    /** What to do about an {@code OutOfMemoryError}: JavaCPP's native-memory cap, or the Java heap. */
    static String memoryHint(OutOfMemoryError e) {
        String m = oneLine(e);
        if (m.contains("maxPhysicalBytes"))
            return "native memory limit reached (" + m + "). JavaCPP caps the process at 4x the Java heap (-Xmx); "
                    + "raise the cap with BIGBIGAN_JAVA_OPTS='-Xmx2g -Dorg.bytedeco.javacpp.maxPhysicalBytes=24g' "
                    + "(0: no cap), or use a smaller --batch (training) or --eval-batch (evaluation, reconstruction, "
                    + "sampling and image grids)";
        return "out of Java heap (" + m + "); raise it with BIGBIGAN_JAVA_OPTS='-Xmx4g'";
    }
}
