package io.bigbigan.support;

import io.bigbigan.nativelib.ProcessMemory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the CLI in a new JVM, as the launcher does, and reports its peak resident memory: the child's
 * {@link #main} prints {@code peak_resident_bytes N} (VmHWM) when the JVM exits.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** A finished child: exit code, everything it printed, its peak resident memory in bytes (-1 when unknown). */
    public record Run(int code, String output, long peakResidentBytes) {}

    /** The child's entry point: the CLI, with its peak resident memory printed at exit. */
    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("peak_resident_bytes " + ProcessMemory.peakResidentBytes())));
        io.bigbigan.tools.BigbiganCli.main(args);
    }

    /** The repository root (holding the {@code bigbigan} launcher), from the test's working directory. */
    public static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isRegularFile(p.resolve("bigbigan")) && Files.isRegularFile(p.resolve("pom.xml"))) return p;
        throw new IllegalStateException("no bigbigan launcher above " + Path.of("").toAbsolutePath());
    }

    /**
     * The JVM flags the {@code bigbigan} launcher passes to java: the options of its {@code exec java} line before
     * {@code -cp}, with {@code ${BIGBIGAN_JAVA_OPTS:-DEFAULT}} replaced by DEFAULT (e.g.
     * {@code [--enable-native-access=ALL-UNNAMED, --sun-misc-unsafe-memory-access=allow, -Xmx2g]}).
     */
    public static List<String> launcherFlags() throws IOException {
        String script = Files.readString(root().resolve("bigbigan")).replace("\\\n", " ");
        Matcher m = Pattern.compile("(?m)^exec \"\\$JAVA_HOME/bin/java\"(.*?) -cp ").matcher(script);
        if (!m.find()) throw new IllegalStateException("no exec java line in the launcher");
        List<String> flags = new ArrayList<>();
        for (String t : m.group(1).trim().split("\\s+")) {
            Matcher d = Pattern.compile("\\$\\{BIGBIGAN_JAVA_OPTS:-(.*)}").matcher(t);
            if (d.matches()) {
                for (String f : d.group(1).split("\\s+")) if (!f.isEmpty()) flags.add(f);
            } else flags.add(t);
        }
        return flags;
    }

    /** Runs {@code args} of the CLI in a JVM with {@code jvmFlags} and this JVM's class path; output to {@code log}. */
    public static Run cli(List<String> jvmFlags, Path log, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildJvm.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after " + timeoutSeconds + " s: " + String.join(" ", args));
        }
        String out = Files.readString(log);
        Matcher peak = Pattern.compile("peak_resident_bytes (-?\\d+)").matcher(out);
        return new Run(p.exitValue(), out, peak.find() ? Long.parseLong(peak.group(1)) : -1);
    }
}
