package io.bigbigan.tools;

import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.loop.StopRequest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code train --nproc N}: starts N copies of this CLI (same java binary, JVM flags and class path) as ranks
 * 0..N-1 of a data-parallel run on 127.0.0.1, with a free TCPStore port, {@code --threads} split between them
 * unless given (and {@code OPENBLAS_NUM_THREADS} to match); with NCCL each rank sees one GPU
 * ({@code CUDA_VISIBLE_DEVICES=rank} unless already set). Rank 0's output passes through; the others' lines are
 * prefixed {@code [rank r]}. When a worker fails the others stop on their own (their collectives fail, at most
 * {@code --dist-timeout} later); after that grace period they are killed. SIGINT or SIGTERM to this process is passed
 * on as SIGTERM, so every worker stops after its current step (rank 0 writes a checkpoint); a launcher killed with
 * SIGKILL cannot do that, so the workers watch it and stop the same way when it is gone
 * ({@link #stopWhenLauncherExits}). Returns the first non-zero exit code.
 */
final class LocalWorkers {
    private LocalWorkers() {}

    static int run(List<String> originalArgs, int nproc, int timeoutSeconds, String backend) throws IOException, InterruptedException {
        Torch.load();                                   // unpack the native libraries once, before the workers start
        int port = freePort();
        List<String> args = withoutNproc(originalArgs);
        boolean threadsGiven = args.stream().anyMatch(a -> a.equals("--threads") || a.startsWith("--threads="));
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / nproc);
        if (!threadsGiven) args.addAll(List.of("--threads", Integer.toString(threads)));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Process> workers = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        for (int r = 0; r < nproc; r++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BigbiganCli.class.getName()));
            cmd.addAll(args);
            cmd.addAll(List.of("--rank", Integer.toString(r), "--world-size", Integer.toString(nproc),
                    "--master-addr", "127.0.0.1", "--master-port", Integer.toString(port)));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put(LAUNCHER_PID, Long.toString(ProcessHandle.current().pid()));
            if (!threadsGiven) pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("LOCAL_RANK", Integer.toString(r));      // as torchrun: --device cuda -> cuda:r
            pb.environment().put("LOCAL_WORLD_SIZE", Integer.toString(nproc));
            if (r == 0) pb.inheritIO();
            else pb.redirectErrorStream(true);
            Process p = pb.start();
            workers.add(p);
            if (r > 0) pumps.add(Thread.ofPlatform().daemon().start(prefix(p, "[rank " + r + "] ", System.err)));
        }
        int code = 0;
        long grace = TimeUnit.SECONDS.toNanos(timeoutSeconds + 30L), failedAt = -1;
        List<Process> running = new ArrayList<>(workers);
        try (StopRequest stop = StopRequest.install()) {       // SIGINT/SIGTERM: passed on, workers stop after the step
        boolean forwarded = false;
        while (!running.isEmpty()) {
            if (!forwarded && stop.requested() != null) {
                forwarded = true;
                for (Process p : running) p.destroy();         // SIGTERM: a graceful stop with a checkpoint
            }
            for (var it = running.iterator(); it.hasNext(); ) {
                Process p = it.next();
                if (p.isAlive()) continue;
                it.remove();
                if (p.exitValue() != 0 && code == 0) {
                    code = p.exitValue();
                    failedAt = System.nanoTime();
                }
            }
            if (failedAt >= 0 && System.nanoTime() - failedAt > grace) {
                for (Process p : running) p.destroyForcibly();
                System.err.println("bigbigan: killed " + running.size() + " worker(s) that did not stop after a failure");
                break;
            }
            Thread.sleep(100);
        }
        }
        for (Thread t : pumps) t.join(2000);
        return code;
    }

    /**
     * In a worker: stops training (after the step, with a checkpoint, as SIGTERM would) once the launcher that started
     * it is gone. A launcher killed with SIGKILL cannot pass a signal on; without this its workers would train on,
     * unattended. Workers not started by {@link #run} (no {@value #LAUNCHER_PID}) are not watched.
     */
    static void stopWhenLauncherExits(StopRequest stop) {
        String env = System.getenv(LAUNCHER_PID);
        if (env == null) return;
        long launcher;
        try {
            launcher = Long.parseLong(env.trim());
        } catch (NumberFormatException e) {
            return;
        }
        Thread.ofPlatform().daemon().name("launcher-watch").start(() -> {
            // the parent changes the moment the launcher dies (the worker is re-parented), also while it is a zombie
            while (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == launcher) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
            stop.request("the exit of the --nproc launcher (pid " + launcher + ")");
        });
    }

    /** Environment variable naming the launcher's process id for its workers. */
    static final String LAUNCHER_PID = "BIGBIGAN_LAUNCHER_PID";

    /** A port nobody listens on now (the TCPStore binds it right after). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static List<String> withoutNproc(List<String> in) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            String a = in.get(i);
            if (a.equals("--nproc") || a.equals("--nproc-per-node")) i++;
            else if (!a.startsWith("--nproc=") && !a.startsWith("--nproc-per-node=")) out.add(a);
        }
        return out;
    }

    private static Runnable prefix(Process p, String prefix, PrintStream to) {
        return () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) to.println(prefix + line);
            } catch (IOException ignored) {
                // the worker ended
            }
        };
    }
}
