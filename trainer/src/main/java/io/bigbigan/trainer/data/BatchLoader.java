package io.bigbigan.trainer.data;

import io.bigbigan.trainer.data.augment.ImagePipeline;
import io.bigbigan.trainer.data.augment.ImageRandom;
import io.bigbigan.trainer.data.augment.ImageShape;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Assembles mini-batches on background threads into a ring of reusable native staging buffers, so that the training
 * thread's {@link #next()} normally returns at once.
 *
 * <p><b>Sequence.</b> Batch {@code k} is position {@code p = k mod P} of epoch {@code e = k div P} (P batches per
 * epoch). With shuffling, epoch {@code e}'s order is a Fisher-Yates permutation drawn from
 * {@link ImageRandom#forPermutation(long, long)}; image {@code i} of epoch {@code e} is transformed with
 * {@link ImageRandom#of(long, long, long) ImageRandom.of(seed, e, i)} (a fresh generator per view, so views of the
 * same transform kinds share crops and flips). The batches therefore depend only on (seed, data set, batch size,
 * pipelines), never on the number of workers or on timing.
 *
 * <p><b>Staging ring.</b> {@code prefetch + 1} slots are allocated once in one shared arena; each holds float32
 * {@code [B, C, H, W]} per view plus int64 labels {@code [B]}. Batch {@code k} always goes to slot {@code k mod R}.
 * Workers claim batches in order, each waiting until its slot has been released by the consumer; so up to
 * {@code prefetch} batches are prepared ahead while the consumer holds one. Tensors handed out alias the slot:
 * see the contract in {@link StagedBatch}. {@link #next()} releases the previously returned batch.
 *
 * <p><b>Errors</b> thrown by a worker (e.g. a transform rejecting an image) are re-thrown on the consumer thread by
 * the {@code next()} that reaches the failed batch, as a {@link DataException} carrying the original message and
 * cause; batches before it are delivered normally. {@link #close()} stops the workers (interrupting them), waits for
 * them, then frees the staging memory. Only one consumer thread may call {@code next()}.
 */
public final class BatchLoader implements AutoCloseable {
    private static final int FREE = 0, FILLING = 1, READY = 2, FAILED = 3, HELD = 4;

    private final ImageDataset dataset;
    private final int batchSize;
    private final int shardIndex, shardCount;    // this loader's rows of each global batch of batchSize * shardCount
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final List<ImagePipeline> pipelines;
    private final ImageShape inShape;
    private final ImageShape[] outShapes;
    private final long batchesPerEpoch;
    private final long totalBatches;
    private final int ringSize;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment[][] viewBuffers; // [slot][view] float32 [batchSize, C, H, W]
    private final MemorySegment[] labelBuffers;  // [slot] int64 [batchSize]
    private final int[][] slotIndices;           // [slot] data set indices of the batch
    private final int[] state;
    private final long[] slotBatch;
    private final Throwable[] slotError;
    private final Map<Long, int[]> permutations = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ExecutorService pool;

    private long nextClaim;
    private long nextConsume;
    private boolean failed;
    private boolean closed;
    private StagedBatch current;

    private BatchLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shardIndex = b.shardIndex;
        this.shardCount = b.shardCount;
        if (shardCount > 1 && !b.dropLast)
            throw new IllegalArgumentException("a sharded loader must drop the last incomplete batch");
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.pipelines = b.views.isEmpty() ? List.of(ImagePipeline.of()) : List.copyOf(b.views);
        int n = dataset.size();
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        long global = (long) batchSize * shardCount;
        if (dropLast && global > n)
            throw new IllegalArgumentException(dataset.name() + ": batch size " + global + (shardCount > 1
                    ? " (" + batchSize + " on each of " + shardCount + " ranks)" : "") + " exceeds its " + n
                    + " images (with dropLast)");
        this.inShape = new ImageShape(dataset.channels(), dataset.height(), dataset.width());
        this.outShapes = new ImageShape[pipelines.size()];
        for (int v = 0; v < outShapes.length; v++) outShapes[v] = pipelines.get(v).outputShape(inShape);
        this.batchesPerEpoch = dropLast ? n / global : (n + global - 1) / global;
        this.totalBatches = b.epochs < 0 ? Long.MAX_VALUE : b.epochs * batchesPerEpoch;
        this.ringSize = b.prefetch + 1;
        this.nextClaim = b.startBatch;
        this.nextConsume = b.startBatch;

        viewBuffers = new MemorySegment[ringSize][outShapes.length];
        labelBuffers = new MemorySegment[ringSize];
        slotIndices = new int[ringSize][];
        for (int s = 0; s < ringSize; s++) {
            for (int v = 0; v < outShapes.length; v++)
                viewBuffers[s][v] = arena.allocate(4L * batchSize * outShapes[v].numel(), 64);
            labelBuffers[s] = arena.allocate(ValueLayout.JAVA_LONG, batchSize);
        }
        state = new int[ringSize];
        slotBatch = new long[ringSize];
        slotError = new Throwable[ringSize];
        java.util.Arrays.fill(slotBatch, -1);
        pool = Executors.newFixedThreadPool(b.workers, r -> {
            Thread t = new Thread(r, "batch-loader-" + dataset.name());
            t.setDaemon(true);
            return t;
        });
        for (int w = 0; w < b.workers; w++) pool.execute(this::workerLoop);
    }

    /** The position of the batch the next {@link #next()} returns (starts at the builder's start batch). */
    public long position() {
        return nextConsume;
    }

    /** A builder for a loader over {@code dataset} (which must stay open until the loader is closed). */
    public static Builder builder(ImageDataset dataset) {
        return new Builder(dataset);
    }

    /** Batches per epoch. */
    public long batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** The shape {@code [C, H, W]} of one image of view {@code view}. */
    public ImageShape viewShape(int view) {
        return outShapes[view];
    }

    /** True while more batches remain (always, unless an epoch limit was set). */
    public boolean hasNext() {
        return nextConsume < totalBatches;
    }

    /**
     * Releases the previous batch and returns the next one, waiting only if the workers have not prepared it yet.
     *
     * @throws DataException          if a worker failed on this batch (original message and cause attached)
     * @throws NoSuchElementException after the last batch of the epoch limit
     * @throws IllegalStateException  if the loader is closed
     */
    public StagedBatch next() {
        if (current != null) current.close();
        current = null;
        if (!hasNext()) throw new NoSuchElementException("all " + totalBatches + " batches have been delivered");
        long k = nextConsume;
        int s = (int) (k % ringSize);
        lock.lock();
        try {
            while (!closed && !(slotBatch[s] == k && (state[s] == READY || state[s] == FAILED))) changed.await();
            if (closed) throw new IllegalStateException("batch loader is closed");
            if (state[s] == FAILED) {
                Throwable e = slotError[s];
                throw new DataException(dataset.name() + ": batch " + k + " (epoch " + k / batchesPerEpoch
                        + ") failed in a loader worker: " + e.getMessage(), e);
            }
            state[s] = HELD;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException(dataset.name() + ": interrupted while waiting for batch " + k, e);
        } finally {
            lock.unlock();
        }
        nextConsume++;
        int b = slotIndices[s].length;
        MemorySegment[] views = new MemorySegment[outShapes.length];
        long[][] shapes = new long[outShapes.length][];
        for (int v = 0; v < views.length; v++) {
            ImageShape o = outShapes[v];
            views[v] = viewBuffers[s][v].asSlice(0, 4L * b * o.numel());
            shapes[v] = new long[]{b, o.channels(), o.height(), o.width()};
        }
        current = new StagedBatch(this, s, k, k / batchesPerEpoch, b, slotIndices[s], views, shapes,
                labelBuffers[s].asSlice(0, 8L * b));
        return current;
    }

    /** Called by {@link StagedBatch#close()}: frees the slot for batch {@code k + ringSize}. */
    void release(int slot, long k) {
        lock.lock();
        try {
            if (slotBatch[slot] == k && state[slot] == HELD) {
                state[slot] = FREE;
                slotBatch[slot] = -1;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void workerLoop() {
        while (true) {
            long k;
            int s;
            lock.lock();
            try {
                while (!closed && !failed && nextClaim < totalBatches && state[(int) (nextClaim % ringSize)] != FREE)
                    changed.await();
                if (closed || failed || nextClaim >= totalBatches) return;
                k = nextClaim++;
                s = (int) (k % ringSize);
                state[s] = FILLING;
                slotBatch[s] = k;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            Throwable error = null;
            try {
                fill(s, k);
            } catch (Throwable t) {
                error = t;
            }
            lock.lock();
            try {
                if (error == null) {
                    state[s] = READY;
                } else {
                    state[s] = FAILED;
                    slotError[s] = error;
                    failed = true;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (error != null) return;
        }
    }

    /** Produces batch {@code k} into slot {@code s}. Runs on a worker thread, touching only that slot. */
    private void fill(int s, long k) {
        long epoch = k / batchesPerEpoch;
        int start = (int) ((k % batchesPerEpoch) * batchSize * shardCount + (long) shardIndex * batchSize);
        int b = Math.min(batchSize, dataset.size() - start);
        int[] order = shuffle ? permutation(epoch) : null;
        int[] indices = new int[b];
        MemorySegment pixels = dataset.pixelSegment();
        long imageBytes = inShape.numel();
        for (int j = 0; j < b; j++) {
            if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("interrupted");
            int i = order == null ? start + j : order[start + j];
            indices[j] = i;
            labelBuffers[s].setAtIndex(ValueLayout.JAVA_LONG, j, dataset.label(i));
            for (int v = 0; v < outShapes.length; v++) {
                SplittableRandom rng = ImageRandom.of(seed, epoch, i);
                float[] out = pipelines.get(v).apply(pixels, i * imageBytes, inShape, rng); // [C, H, W]
                MemorySegment.copy(out, 0, viewBuffers[s][v], ValueLayout.JAVA_FLOAT, 4L * j * out.length,
                        out.length);
            }
        }
        slotIndices[s] = indices; // published to the consumer by the lock release that marks the slot READY
    }

    /** The order of {@code epoch}: Fisher-Yates from the epoch's own generator, cached for the workers. */
    private int[] permutation(long epoch) {
        permutations.keySet().removeIf(e -> e < epoch - 1);
        return permutations.computeIfAbsent(epoch, e -> {
            int n = dataset.size();
            int[] p = new int[n];
            for (int i = 0; i < n; i++) p[i] = i;
            SplittableRandom rng = ImageRandom.forPermutation(seed, e);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            return p;
        });
    }

    /**
     * Stops the workers, waits for them (up to 10 s), and frees the staging memory; tensors of the current batch
     * become invalid. Idempotent. If a worker does not stop in time the memory is left to the JVM rather than freed
     * under it.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        pool.shutdownNow();
        boolean stopped;
        try {
            stopped = pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        if (stopped) arena.close();
    }

    /** True once every worker thread has exited (after {@link #close()}, or when all batches are prepared). */
    public boolean workersStopped() {
        return pool.isTerminated();
    }

    /** Configures a {@link BatchLoader}. */
    public static final class Builder {
        private final ImageDataset dataset;
        private int batchSize = 64;
        private int shardIndex, shardCount = 1;
        private long seed;
        private int workers = 1;
        private int prefetch = 2;
        private long epochs = -1;
        private long startBatch;
        private boolean shuffle = true;
        private boolean dropLast = true;
        private final List<ImagePipeline> views = new ArrayList<>();

        private Builder(ImageDataset dataset) {
            this.dataset = dataset;
        }

        /** Images per batch (default 64). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Seed of the permutations and augmentations (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Worker threads (default 1); does not change the batches. */
        public Builder workers(int workers) {
            if (workers <= 0) throw new IllegalArgumentException("workers must be positive, got " + workers);
            this.workers = workers;
            return this;
        }

        /** Batches prepared ahead of the one the consumer holds (default 2; the ring has prefetch + 1 slots). */
        public Builder prefetch(int prefetch) {
            if (prefetch <= 0) throw new IllegalArgumentException("prefetch must be positive, got " + prefetch);
            this.prefetch = prefetch;
            return this;
        }

        /** Stop after this many epochs (default: unlimited). */
        public Builder epochs(long epochs) {
            if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
            this.epochs = epochs;
            return this;
        }

        /**
         * The position of the first batch delivered (default 0): the loader then delivers batches {@code k, k+1, ...}
         * of the sequence, equal to what an un-skipped loader delivers after its first {@code k} batches (the
         * order and the augmentations depend only on the position). Used to resume training; costs nothing.
         */
        public Builder startBatch(long k) {
            if (k < 0) throw new IllegalArgumentException("start batch must be >= 0, got " + k);
            this.startBatch = k;
            return this;
        }

        /**
         * Makes this loader shard {@code index} of {@code count} (default 0 of 1): the sequence is that of global
         * batches of {@code batchSize * count} images, and this loader delivers rows
         * {@code [index * batchSize, (index + 1) * batchSize)} of each, so {@code count} loaders together deliver
         * exactly the batches of one unsharded loader of the global size (disjoint rows, same order and
         * augmentations). For data-parallel training; needs dropLast.
         */
        public Builder shard(int index, int count) {
            if (count < 1 || index < 0 || index >= count)
                throw new IllegalArgumentException("shard " + index + " of " + count + " is not a valid shard");
            this.shardIndex = index;
            this.shardCount = count;
            return this;
        }

        /** Shuffle each epoch (default true); false = data set order, e.g. for evaluation. */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Drop the final incomplete batch of each epoch (default true). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Adds an output view: the batch's images through {@code pipeline} (e.g. one view at the G/D resolution and
         * one at the encoder's). With no view, one view of the images scaled to [0, 1].
         */
        public Builder view(ImagePipeline pipeline) {
            views.add(pipeline);
            return this;
        }

        /** Starts the workers. */
        public BatchLoader build() {
            return new BatchLoader(this);
        }
    }
}
