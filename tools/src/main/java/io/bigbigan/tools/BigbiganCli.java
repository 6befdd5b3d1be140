package io.bigbigan.tools;

import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.run.NonFiniteException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code bigbigan} command. Exit codes: 0 success, 1 failure (one-line error; {@code --verbose} adds the stack
 * trace), 2 bad usage.
 */
@Command(name = "bigbigan", mixinStandardHelpOptions = true, version = "bigbigan 0.1.0",
        description = "BiGAN / BigBiGAN adversarial representation learning on LibTorch.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, TrainClassifierCommand.class, InterpolateCommand.class, DiagnoseCommand.class, ReportCommand.class, SampleCommand.class, ReconstructCommand.class,
                InfoCommand.class, BenchCommand.class, PresetsCommand.class, InspectCommand.class, ConvertCommand.class,
                EncodeCommand.class, ResumeCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 success, 1 error, 2 usage error, 3 NaN/Inf loss or gradient (training stopped",
                "before the optimiser step), 4 training stopped by SIGINT/SIGTERM after writing a checkpoint."})
public final class BigbiganCli implements Runnable {
    /** A loss or gradient became NaN/Inf; training stopped before the optimiser step (last checkpoint intact). */
    public static final int EXIT_NON_FINITE = 3;
    /** Training was stopped by SIGINT/SIGTERM after writing a checkpoint. */
    public static final int EXIT_STOPPED = 4;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Builds the command line with the project's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BigbiganCli());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            boolean verbose = parse.matchedOption("--verbose") != null
                    || parse.subcommand() != null && hasVerbose(parse);
            if (verbose) ex.printStackTrace(cmd.getErr());
            else cmd.getErr().println("bigbigan " + cmd.getCommandName() + ": error: " + oneLine(ex));
            return ex instanceof NonFiniteException ? EXIT_NON_FINITE : 1;
        });
        return cl;
    }

    private static boolean hasVerbose(CommandLine.ParseResult p) {
        for (CommandLine.ParseResult r = p; r != null; r = r.subcommand())
            if (r.matchedOption("--verbose") != null) return true;
        return false;
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) m = ex.getClass().getSimpleName();
        return m.replace('\n', ' ').replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) {
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
