package io.bigbigan.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "resume", mixinStandardHelpOptions = true, description = {"Continue a training run from its newest complete checkpoint: the same as",
        "'train --resume --out RUN'. Further train options (e.g. --steps, --data) follow RUN."},
        footer = {"", "Example:", "  bigbigan resume runs/bigan-mlp-synthetic --steps 3000"})
final class ResumeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder (train's --out).")
    Path run;

    @Unmatched
    List<String> trainOptions = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>(List.of("train", "--resume", "--out", run.toString()));
        args.addAll(trainOptions);
        CommandLine cl = BigbiganCli.commandLine();
        cl.setErr(spec.commandLine().getErr());
        cl.setOut(spec.commandLine().getOut());
        return cl.execute(args.toArray(String[]::new));
    }
}
