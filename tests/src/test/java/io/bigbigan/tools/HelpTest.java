package io.bigbigan.tools;

import io.bigbigan.trainer.data.DataSource;
import io.bigbigan.trainer.data.Datasets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The help texts: no picocli warnings, whole sentences, the usage width, and usage errors that name the option. */
class HelpTest {
    /** Every command's usage at {@code width}, with what picocli printed to standard error meanwhile. */
    static Map<String, String[]> usages(int width) {
        CommandLine root = BigbiganCli.commandLine();
        root.setUsageHelpWidth(width);
        List<CommandLine> all = new ArrayList<>(List.of(root));
        all.addAll(root.getSubcommands().values());
        Map<String, String[]> out = new LinkedHashMap<>();
        PrintStream old = System.err;
        for (CommandLine c : all) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            String usage;
            try (PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                System.setErr(ps);
                usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            } finally {
                System.setErr(old);
            }
            out.put(c.getCommandSpec().qualifiedName(), new String[]{usage, err.toString(StandardCharsets.UTF_8)});
        }
        return out;
    }

    @Test
    void noWarningsAndNoLineWiderThanTheUsageWidthExceptExamples() {
        for (int width : new int[]{80, 132}) {
            for (var e : usages(width).entrySet()) {
                String usage = e.getValue()[0], err = e.getValue()[1];
                assertEquals("", err, e.getKey() + " --help printed to stderr");
                assertFalse(usage.contains("picocli WARN"), e.getKey());
                CommandLine c = BigbiganCli.commandLine();
                CommandLine cmd = e.getKey().equals("bigbigan") ? c
                        : c.getSubcommands().get(e.getKey().substring("bigbigan ".length()));
                List<String> examples = Arrays.stream(cmd.getCommandSpec().usageMessage().footer())
                        .filter(l -> l.startsWith(" ")).toList();
                for (String line : usage.lines().toList())
                    if (!examples.contains(line))
                        assertTrue(line.length() <= width, e.getKey() + " at width " + width + ": " + line);
            }
        }
    }

    @Test
    void theCommandListGivesEachCommandsFirstSentenceWhole() {
        String top = usages(200).get("bigbigan")[0];
        String list = top.substring(top.indexOf("Commands:"), top.indexOf("Exit codes"));
        CommandLine root = BigbiganCli.commandLine();
        for (var e : root.getSubcommands().entrySet()) {
            String line = list.lines().filter(l -> l.startsWith("  " + e.getKey() + " ")).findFirst().orElseThrow();
            String summary = line.substring(2 + e.getKey().length()).strip();
            assertTrue(summary.endsWith("."), "cut mid-sentence: " + line);
            var usage = e.getValue().getCommandSpec().usageMessage();
            String description = String.join(" ", usage.header().length > 0 ? usage.header() : usage.description());
            assertTrue(description.startsWith(summary.substring(0, summary.length() - 1)), summary + " / " + description);
        }
        // the examples of the default (80 columns) and the terminal width: auto width is on for every command
        assertTrue(root.isUsageHelpAutoWidth());
        for (CommandLine sub : root.getSubcommands().values()) assertTrue(sub.isUsageHelpAutoWidth());
        assertTrue(top.contains("Exit codes: 0 success, 1 error, 2 usage error (also an option value out of its range), "
                + "3 NaN/Inf loss, gradient or gradient norm (training stopped before the optimiser step)"),
                "the footer is one paragraph");
    }

    @Test
    void descriptionsSplitOverSeveralLinesInTheSourceReadAsOneParagraph() {
        String train = usages(200).get("bigbigan train")[0];
        assertTrue(train.contains("Split each batch into K micro-batches and accumulate their gradients before each "
                + "optimiser step (BigBiGAN presets; default 1)."), train);
        assertTrue(train.contains("Train a model, then evaluate its encoder against raw pixels. Writes checkpoints/"), train);
        String bench = usages(80).get("bigbigan bench")[0];
        assertTrue(usages(200).get("bigbigan bench")[0].contains("resident memory at 10% and 100% of them"),
                "the % is escaped: " + bench);
        assertTrue(bench.contains("\n  BIGBIGAN_CUDA=1 bigbigan bench --preset bigbigan-32 --batch 256 --device cuda "
                + "--precision bf16\n"), "examples are not wrapped: " + bench);
    }

    @Test
    void theDataHelpComesFromTheDataSetRegistry() {
        String train = String.join(" ", usages(200).get("bigbigan train")[0].lines().map(String::strip).toList());
        assertTrue(train.contains(Datasets.DATA_HELP), train);
        for (DataSource s : Datasets.SOURCES) assertTrue(train.contains(s.name()), s.name());
    }

    @Test
    void usageErrorsNameTheOptionAndSuggestTheNearestOne() {
        var r = cli("train", "--stpes", "3");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bigbigan train: unknown option '--stpes' (did you mean --steps?)\n"), r.err());
        assertTrue(r.err().contains("Try 'bigbigan train --help'"), r.err());
        assertEquals(2, r.err().lines().count(), "no usage dump: " + r.err());

        r = cli("trian");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown command 'trian' (did you mean train"), r.err());

        r = cli("evaluate", "--checkpoint", "x", "--metrix", "fid", "--knn-gird");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown options '--metrix', '--knn-gird' (did you mean --metrics"), r.err());

        r = cli("train", "--steps", "many");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'--steps'") && r.err().contains("'many'"), r.err());
    }
}
