package io.bigbigan.tools;

import io.bigbigan.trainer.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true, description = {"Write a self-contained HTML report of a run (opens offline): training",
        "curves from metrics.jsonl (losses, D accuracy, linear probe, reconstruction error, ...), the best checkpoint,",
        "the newest sample/reconstruction grids, diagnostic sheets and evaluation tables, images embedded."},
        footer = {"", "Example:", "  bigbigan report --run runs/bigan-mlp-synthetic --diagnostics diag --evaluation eval.txt"})
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "Run folder (with metrics.jsonl, images/, checkpoints/).")
    Path run;

    @Option(names = "--out", description = "HTML file (default: RUN/report.html).")
    Path out;

    @Option(names = "--diagnostics", description = "Folder of `diagnose` sheets (default: RUN/diagnostics when present).")
    List<Path> diagnostics = new ArrayList<>();

    @Option(names = "--evaluation", description = "Evaluation text files to include (besides RUN/evaluation.txt).")
    List<Path> evaluations = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(run)) throw new IllegalArgumentException("--run " + run + ": no such folder");
        for (Path d : diagnostics)
            if (!Files.isDirectory(d)) throw new IllegalArgumentException("--diagnostics " + d + ": no such folder");
        List<Path> diag = new ArrayList<>(diagnostics);
        if (diag.isEmpty() && Files.isDirectory(run.resolve("diagnostics"))) diag.add(run.resolve("diagnostics"));
        Path file = out != null ? out : run.resolve("report.html");
        Outputs.file("--out", file);
        int charts = RunReport.write(new RunReport.Inputs(run, diag, evaluations), file);
        System.out.printf("wrote %s (%d chart groups, %d diagnostic folders)%n", file, charts, diag.size());
        return 0;
    }
}
