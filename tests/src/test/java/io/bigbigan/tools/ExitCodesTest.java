package io.bigbigan.tools;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exit codes that agree across commands: every numeric option of every command, given a value outside its range, is
 * a usage error (exit 2) that names the option, before the command does any work; and the CLI's habits with no
 * arguments, unknown commands and typos.
 */
class ExitCodesTest {
    /** Arguments a command needs besides the option under test (paths that need not exist: the check comes first). */
    private static final Map<String, List<String>> REQUIRED = Map.of(
            "evaluate", List.of("--checkpoint", "missing"),
            "sample", List.of("--checkpoint", "missing"),
            "reconstruct", List.of("--checkpoint", "missing"),
            "interpolate", List.of("--checkpoint", "missing"),
            "diagnose", List.of("--checkpoint", "missing", "--out", "missing-dir"),
            "encode", List.of("--model", "missing", "--out", "missing.npy", "missing.png"),
            "convert", List.of("missing", "missing.bundle"),
            "report", List.of("--run", "missing"),
            "score", List.of("--checkpoint", "missing", "--out", "missing.csv"));

    /** One row of the table: a command, an option and a value outside the option's range. */
    record Case(String command, String option, String value) {}

    /** Every numeric option of every command, with a value just below its range (and just above, where bounded). */
    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        CommandLine root = BigbiganCli.commandLine();
        for (var e : root.getSubcommands().entrySet()) {
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                if (!OptionRanges.numeric(o) || OptionRanges.UNBOUNDED.contains(o.longestName())) continue;
                var r = OptionRanges.rangeOf(e.getKey(), o.longestName());
                assertNotNull(r, e.getKey() + " " + o.longestName() + ": a numeric option without a range in OptionRanges");
                boolean integral = o.type() == int.class || o.type() == long.class || o.type() == Integer.class
                        || o.type() == Long.class || List.class.isAssignableFrom(o.type())
                        && (o.auxiliaryTypes()[0] == Integer.class || o.auxiliaryTypes()[0] == Long.class);
                out.add(new Case(e.getKey(), o.longestName(), format(r.below(), integral)));
                if (r.max() != Double.POSITIVE_INFINITY) out.add(new Case(e.getKey(), o.longestName(), format(r.max() + 1, integral)));
            }
        }
        return out;
    }

    private static String format(double v, boolean integral) {
        return integral ? Long.toString((long) v) : Double.toString(v);
    }

    @Test
    void everyNumericOptionOutOfItsRangeIsExit2NamingTheOption() {
        List<Case> cases = cases();
        assertTrue(cases.size() > 60, "cases: " + cases.size());
        for (String named : List.of("train --eval-batch", "sample --cols", "evaluate --eval-batch", "encode --threads",
                "encode --image-size", "train --master-port", "bench --seconds"))
            assertTrue(cases.stream().anyMatch(c -> (c.command() + " " + c.option()).equals(named)), named);
        for (Case c : cases) {
            List<String> args = new ArrayList<>(List.of(c.command()));
            args.addAll(REQUIRED.getOrDefault(c.command(), List.of()));
            args.addAll(List.of(c.option(), c.value()));
            var r = cli(args.toArray(String[]::new));
            assertEquals(2, r.code(), c + ": " + r.err());
            assertTrue(r.err().startsWith("bigbigan " + c.command() + ": usage error: " + c.option() + " must be "),
                    c + ": " + r.err());
            assertTrue(r.err().contains(", got " + c.value()), c + ": " + r.err());
        }
        var resume = cli("resume", "missing-run", "--steps", "0");       // the train options resume passes on
        assertEquals(2, resume.code(), resume.err());
        assertTrue(resume.err().contains("--steps must be at least 1, got 0"), resume.err());
    }

    @Test
    void noArgumentsPrintTheUsageOnStandardErrorWithExit2() {
        var r = cli();
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Usage: bigbigan"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void anUnknownCommandIsExit2AlsoWithHelp() {
        var r = cli("UNKNOWN", "--help");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bigbigan: unknown command 'UNKNOWN'\n"), r.err());
        assertFalse(r.out().contains("Usage"), r.out());
        r = cli("train", "extra", "--help");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unexpected argument 'extra'"), r.err());
        assertEquals(0, cli("train", "--help").code());
    }

    @Test
    void aTypoSuggestsOnlyTheClosestNameAndOnlyWhenItIsClose() {
        var r = cli("trian");
        assertTrue(r.err().startsWith("bigbigan: unknown command 'trian' (did you mean train?)\n"), r.err());
        r = cli("xyzzy");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bigbigan: unknown command 'xyzzy'\n"), r.err());
        r = cli("train", "--stepz", "3");
        assertTrue(r.err().startsWith("bigbigan train: unknown option '--stepz' (did you mean --steps?)\n"), r.err());
        r = cli("train", "--colour", "3");
        assertTrue(r.err().startsWith("bigbigan train: unknown option '--colour'\n"), r.err());
        assertEquals(List.of("--eval-batch", "--eval-every"),
                BigbiganCli.closest("--eval", List.of("--eval-every", "--eval-batch", "--steps")));
        assertEquals(1, BigbiganCli.editDistance("trian", "train"));
        assertTrue(BigbiganCli.editDistance("trian", "diagnose") > 3);
    }

    @Test
    void helpBreaksLinesOnlyAtSpaces() {
        for (int width : new int[]{80, 132}) {
            for (var e : HelpTest.usages(width).entrySet()) {
                List<String> lines = e.getValue()[0].lines().toList();
                for (int i = 0; i + 1 < lines.size(); i++) {
                    String a = lines.get(i), b = lines.get(i + 1).strip();
                    assertFalse(a.endsWith(" .") || a.endsWith("[relu") || b.startsWith("(x)") || b.startsWith("(E(x))"),
                            e.getKey() + " at " + width + ": '" + a + "' / '" + b + "'");
                }
            }
        }
        String encode = String.join(" ", HelpTest.usages(80).get("bigbigan encode")[0].lines().map(String::strip).toList());
        assertTrue(encode.contains(".npy (+ NAME.ids.csv), .safetensors or .csv."), encode);
        assertTrue(encode.contains("then [relu(x), relu(-x)]: the"), encode);
    }
}
