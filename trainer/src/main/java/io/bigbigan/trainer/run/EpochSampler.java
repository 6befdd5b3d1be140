package io.bigbigan.trainer.run;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Mini-batch indices: a fresh permutation of the dataset each epoch, drawn from a private generator seeded by
 * {@code (seed, epoch)}, so the order depends only on the seed and the position, never on other randomness.
 * Incomplete final batches are dropped. Call {@link #next()} inside a {@link StepScope}.
 */
public final class EpochSampler {
    private final long size, batch, seed;
    private long epoch = -1, cursor;
    private Tensor perm;

    public EpochSampler(long size, long batch, long seed) {
        if (batch > size) throw new IllegalArgumentException("batch size " + batch + " exceeds the dataset's " + size + " images");
        this.size = size;
        this.batch = batch;
        this.seed = seed;
    }

    /** Indices of the next batch, int64 [batch]. */
    public Tensor next() {
        if (perm == null || cursor + batch > size) newEpoch();
        Tensor idx = perm.narrow(0, cursor, batch);
        cursor += batch;
        return idx;
    }

    /**
     * Positions the sampler as if {@code batches} batches had been drawn (for resuming: the order depends only on
     * the seed and the position).
     */
    public void seek(long batches) {
        long perEpoch = size / batch;
        long target = batches / perEpoch;
        epoch = target - 1;
        newEpoch();
        cursor = (batches % perEpoch) * batch;
    }

    /** The current epoch (0-based). */
    public long epoch() { return Math.max(epoch, 0); }

    private void newEpoch() {
        epoch++;
        cursor = 0;
        if (perm != null) StepScope.release(perm);
        Generator g = torch.createCPUGenerator(seed * 1_000_003L + epoch);
        perm = torch.randperm(size, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Long));
        StepScope.keep(perm);   // lives across step scopes until the next epoch
        g.close();
    }
}
