package io.bigbigan.tools;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The valid range of every numeric option of every command, in one table, checked right after parsing and before a
 * command starts its work: a value outside it is a usage error (exit 2) that names the option, the range and the
 * value, the same in every command. Options are looked up as {@code "command --option"} first, then {@code "--option"};
 * {@link #UNBOUNDED} lists the numeric options that take any value.
 */
final class OptionRanges {
    private OptionRanges() {}

    /** A closed range {@code [min, max]}, or {@code (min, max]} when {@code openMin}; {@code what} says why. */
    record Range(double min, boolean openMin, double max, String what) {
        static Range atLeast(double min) {
            return new Range(min, false, Double.POSITIVE_INFINITY, null);
        }

        static Range atLeast(double min, String what) {
            return new Range(min, false, Double.POSITIVE_INFINITY, what);
        }

        static Range positive() {
            return new Range(0, true, Double.POSITIVE_INFINITY, null);
        }

        static Range between(double min, double max) {
            return new Range(min, false, max, null);
        }

        boolean contains(double v) {
            return (openMin ? v > min : v >= min) && v <= max;     // false for NaN
        }

        /** A value just outside the range, below it (for tests and examples). */
        double below() {
            return openMin ? min : min - 1;
        }

        String describe() {
            String r = max != Double.POSITIVE_INFINITY ? "in " + num(min) + ".." + num(max)
                    : openMin ? "above " + num(min) : "at least " + num(min);
            return what == null ? r : r + " (" + what + ")";
        }

        private static String num(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /** Numeric options that take any value. */
    static final List<String> UNBOUNDED = List.of("--seed");

    /** The ranges: {@code "command --option"} (command-specific) or {@code "--option"} (every command). */
    static final Map<String, Range> RANGES = Map.ofEntries(
            Map.entry("--threads", Range.atLeast(0, "0: one per core")),
            Map.entry("--steps", Range.atLeast(1)),
            Map.entry("bench --steps", Range.atLeast(0, "0: only --memory-steps")),
            Map.entry("interpolate --steps", Range.atLeast(2, "the endpoints included")),
            Map.entry("--epochs", Range.positive()),
            Map.entry("--batch", Range.atLeast(1)),
            Map.entry("--ortho-reg", Range.atLeast(0)),
            Map.entry("--accumulate", Range.atLeast(1)),
            Map.entry("--log-every", Range.atLeast(1)),
            Map.entry("--image-every", Range.atLeast(0, "0: at the end")),
            Map.entry("--checkpoint-every", Range.atLeast(0, "0: at the end")),
            Map.entry("--keep-checkpoints", Range.atLeast(0, "0: keep all")),
            Map.entry("--eval-every", Range.atLeast(0, "0: never")),
            Map.entry("--eval-batch", Range.atLeast(1)),
            Map.entry("--train-limit", Range.atLeast(1)),
            Map.entry("--test-limit", Range.atLeast(1)),
            Map.entry("--image-size", Range.atLeast(1)),
            Map.entry("convert --image-size", Range.atLeast(0, "0: from the input's metadata")),
            Map.entry("--channels", Range.between(1, 3)),
            Map.entry("--max-image-pixels", Range.atLeast(1)),
            Map.entry("--nproc", Range.atLeast(1)),
            Map.entry("--nproc-per-node", Range.atLeast(1)),
            Map.entry("--rank", Range.atLeast(0)),
            Map.entry("--world-size", Range.atLeast(1)),
            Map.entry("--master-port", Range.between(1, 65535)),
            Map.entry("--dist-timeout", Range.atLeast(1, "seconds")),
            Map.entry("--count", Range.atLeast(1)),
            Map.entry("--cols", Range.atLeast(1)),
            Map.entry("--scale", Range.atLeast(1)),
            Map.entry("--truncation", Range.atLeast(0, "0: none")),
            Map.entry("--truncations", Range.atLeast(0, "0: none")),
            Map.entry("--iterations", Range.atLeast(1)),
            Map.entry("--neighbours", Range.atLeast(1)),
            Map.entry("--samples", Range.atLeast(10)),
            Map.entry("--classifier-epochs", Range.atLeast(1)),
            Map.entry("--warmup", Range.atLeast(0)),
            Map.entry("--memory-steps", Range.atLeast(0)),
            Map.entry("--peak-tflops", Range.positive()),
            Map.entry("--seconds", Range.positive()),
            Map.entry("--callers", Range.atLeast(1)),
            Map.entry("--encode-batch", Range.atLeast(1)),
            Map.entry("--top", Range.atLeast(0, "0: none")),
            Map.entry("--alpha", Range.between(0, 1)),
            Map.entry("--label-fractions", new Range(0, true, 1, "fractions of the training labels")));

    /** The range of {@code option} (its longest name) in {@code command} (its name), or null when none is set. */
    static Range rangeOf(String command, String option) {
        Range r = RANGES.get(command + " " + option);
        return r != null ? r : RANGES.get(option);
    }

    /** Whether {@code option} holds numbers (one, or a list). */
    static boolean numeric(OptionSpec option) {
        Class<?> t = option.auxiliaryTypes().length > 0 && (List.class.isAssignableFrom(option.type()) || option.type().isArray())
                ? option.auxiliaryTypes()[0] : option.type();
        return t == int.class || t == long.class || t == double.class || t == float.class || t == short.class
                || Number.class.isAssignableFrom(t);
    }

    /**
     * Checks the numeric options given on the command line of every command in {@code parse} (defaults are in range).
     *
     * @throws CommandLine.ParameterException naming the option, its range and the value given
     */
    static void check(ParseResult parse) {
        for (ParseResult p = parse; p != null; p = p.subcommand()) {
            String command = p.commandSpec().name();
            for (OptionSpec o : p.matchedOptions()) {
                if (!numeric(o)) continue;
                Range r = rangeOf(command, o.longestName());
                if (r == null) continue;
                Object v = o.getValue();
                List<?> values = v instanceof List<?> l ? l : java.util.Collections.singletonList(v);
                for (Object x : values)
                    if (x instanceof Number n && !r.contains(n.doubleValue()))
                        throw new CommandLine.ParameterException(p.commandSpec().commandLine(), String.format(Locale.ROOT,
                                "usage error: %s must be %s, got %s", o.longestName(), r.describe(), x), o,
                                String.valueOf(x));
            }
        }
    }
}
