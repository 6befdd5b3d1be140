package io.bigbigan.trainer.distributed;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;

import java.net.InetAddress;
import java.util.function.Function;

/**
 * Collectives on a LibTorch c10d process group, {@code ProcessGroupGloo} (CPU tensors) or {@code ProcessGroupNCCL}
 * (CUDA tensors; only in the gpu build, whose jar carries {@code libjnitorch_nccl.so}), rendezvous through a {@code TCPStore}
 * hosted by rank 0. Gloo's collectives run on its own threads, so {@link #allReduceSum} returns while the
 * training thread keeps computing. The group's timeout bounds both the rendezvous and every collective, so a dead
 * or stuck peer stops the others with a {@link ReplicaFailure} (a dead peer is noticed at once: its sockets close).
 *
 * <p>Gloo binds to the address it resolves for the host; set {@code GLOO_SOCKET_IFNAME} to pick an interface on
 * multi-host runs. The store and the group are each used once (a second group on one store object aborts the JVM).
 */
final class C10dCollectives implements Collectives {
    private final int rank, size;
    private final TCPStore store;
    private final Backend group;
    private final String backend;
    private final CommStats stats = new CommStats();
    private volatile ReplicaFailure failure;

    private C10dCollectives(int rank, int size, TCPStore store, Backend group, String backend) {
        this.backend = backend;
        this.rank = rank;
        this.size = size;
        this.store = store;
        this.group = group;
    }

    private static TCPStore store(ReplicaSetup s, Milliseconds timeout) {
        return new TCPStore(s.masterAddr(), new TCPStoreOptions().port((short) s.masterPort())
                .isServer(s.rank() == 0).waitWorkers(false).timeout(timeout));
    }

    /** Gloo on CPU tensors. */
    static C10dCollectives gloo(ReplicaSetup s) {
        Milliseconds timeout = new Milliseconds(s.timeout().toMillis());
        TCPStore store;
        ProcessGroupGloo group;
        try {
            store = store(s, timeout);
            ProcessGroupGloo.Options o = ProcessGroupGloo.Options.create(timeout);
            String ifname = System.getenv("GLOO_SOCKET_IFNAME");
            if (ifname != null && !ifname.isBlank()) o.devices().push_back(ProcessGroupGloo.createDeviceForInterface(ifname));
            else if (isLoopback(s.masterAddr())) o.devices().push_back(ProcessGroupGloo.createDeviceForHostname("127.0.0.1"));
            else o.devices().push_back(ProcessGroupGloo.createDefaultDevice());
            o.threads(2);
            group = new ProcessGroupGloo(store, s.rank(), s.worldSize(), o);
        } catch (RuntimeException e) {
            throw ReplicaFailure.of(s.rank(), s.worldSize(), "rendezvous at " + s.masterAddr() + ":" + s.masterPort(), e);
        }
        return new C10dCollectives(s.rank(), s.worldSize(), store, group, "gloo");
    }

    /**
     * NCCL on CUDA tensors (one GPU per rank; the caller selects the device before training). The CPU build of
     * LibTorch has no NCCL library: there this fails with a clear error.
     */
    static C10dCollectives nccl(ReplicaSetup s) {
        Milliseconds timeout = new Milliseconds(s.timeout().toMillis());
        Backend group;
        TCPStore store;
        try {
            var o = org.bytedeco.pytorch.nccl.ProcessGroupNCCL.Options.create();
            o.timeout(timeout);
            store = store(s, timeout);
            group = new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(store, s.rank(), s.worldSize(), o);
        } catch (LinkageError e) {
            throw new IllegalArgumentException("--dist-backend nccl needs the CUDA build of LibTorch (mvn -Pcuda);"
                    + " this one has no NCCL (" + e + ")");
        } catch (RuntimeException e) {
            throw ReplicaFailure.of(s.rank(), s.worldSize(), "rendezvous at " + s.masterAddr() + ":" + s.masterPort(), e);
        }
        return new C10dCollectives(s.rank(), s.worldSize(), store, group, "nccl");
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--master-addr: unknown host " + host);
        }
    }

    @Override
    public int rank() { return rank; }

    @Override
    public int size() { return size; }

    @Override
    public String backend() { return backend; }

    @Override
    public CommStats stats() { return stats; }

    @Override
    public void fail(ReplicaFailure f) {
        if (failure == null) failure = f;
    }

    private void check() {
        if (failure != null) throw failure;
    }

    /** NCCL reduces CUDA tensors only: small host tensors (metrics) go through a device copy. */
    private boolean staged(Tensor t) {
        return backend.equals("nccl") && !t.is_cuda();
    }

    @Override
    public Pending allReduceSum(Tensor t) {
        return submit(t, "all-reduce", group::allreduce);
    }

    /**
     * Starts {@code op} on {@code t} (through a device copy where NCCL needs one), counting its bytes; the returned
     * wait copies the result back into {@code t}.
     */
    private Pending submit(Tensor t, String what, Function<TensorVector, Work> op) {
        check();
        stats.record(t.numel() * t.element_size());
        Tensor d = staged(t) ? t.cuda() : t;
        TensorVector v = new TensorVector(d);
        Work w;
        try {
            w = op.apply(v);
        } catch (RuntimeException e) {
            throw failed(what, e);
        }
        return () -> {
            await(w, v, what);
            if (d != t) t.copy_(d);
        };
    }

    /** {@link #submit} and wait; any error becomes this group's {@link ReplicaFailure}. */
    private void run(Tensor t, String what, Function<TensorVector, Work> op) {
        try {
            submit(t, what, op).await();
        } catch (ReplicaFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw failed(what, e);
        }
    }

    private void await(Work w, TensorVector keep, String what) {
        long t0 = System.nanoTime();
        try {
            w._wait();
        } catch (RuntimeException e) {
            throw failed(what, e);
        } finally {
            stats.waited(System.nanoTime() - t0);
        }
        check();
        java.lang.ref.Reference.reachabilityFence(keep);
    }

    private ReplicaFailure failed(String what, RuntimeException e) {
        ReplicaFailure f = e instanceof ReplicaFailure r ? r : ReplicaFailure.of(rank, size, what, e);
        fail(f);
        return failure;
    }

    @Override
    public void allReduceMin(Tensor t) {
        try (AllreduceOptions o = new AllreduceOptions()) {
            o.reduceOp(new ReduceOp(ReduceOp.RedOpType.MIN));
            run(t, "all-reduce (min)", v -> group.allreduce(v, o));
        }
    }

    @Override
    public void broadcast(Tensor t) {
        run(t, "broadcast", group::broadcast);
    }

    /** Leaves the native group and store to process exit (their destructors may block on dead peers). */
    @Override
    public void close() {
        java.lang.ref.Reference.reachabilityFence(store);
        java.lang.ref.Reference.reachabilityFence(group);
    }
}
