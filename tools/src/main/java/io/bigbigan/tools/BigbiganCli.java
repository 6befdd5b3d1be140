package io.bigbigan.tools;

import io.bigbigan.bindings.FileErrors;
import io.bigbigan.nativelib.Provenance;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.step.NonFiniteException;
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
public final class BigbiganCli implements Runnable {
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

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
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
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            boolean verbose = parse.matchedOption("--verbose") != null
                    || parse.subcommand() != null && hasVerbose(parse);
            if (verbose) ex.printStackTrace(cmd.getErr());
            if (ex instanceof OptionException) {        // a value out of range: a usage error, as picocli's own
                if (!verbose) cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": usage error: " + oneLine(ex)
                        + " (see bigbigan " + cmd.getCommandName() + " --help)");
                return EXIT_USAGE;
            }
            if (!verbose) cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": error: " + oneLine(ex));
            return ex instanceof NonFiniteException ? EXIT_NON_FINITE : 1;
        });
        return cl;
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
        List<String> suggestions = u.getSuggestions();
        if (suggestions.isEmpty()) return what;
        String alts = suggestions.size() == 1 ? suggestions.getFirst()
                : String.join(", ", suggestions.subList(0, suggestions.size() - 1)) + " or " + suggestions.getLast();
        return what + " (did you mean " + alts + "?)";
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
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
