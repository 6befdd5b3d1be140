package io.bigbigan.trainer.loop;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.Datasets;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconstruction grid and the random-pair baseline come from a seeded random subset of the test split, not its
 * first rows: on data sorted by class (a common layout of IDX folders) the first rows are one class.
 */
class ReconstructionSubsetTest {
    private static final int TRAIN = 200, TEST = 600, SIDE = SyntheticShapes.SIDE;

    @Test
    void gridAndBaselineCoverTheClassesOfClassSortedData(@TempDir Path dir) throws IOException {
        writeClassSorted(dir);
        StepTrainer trainer = Trainers.create(Presets.get("bigan-mlp"), Trainers.Setup.seed(1));
        try (DatasetSplits splits = Datasets.open(dir.toString()); StepScope s = StepScope.open()) {
            ImageDataset test = splits.test();
            assertEquals(0, test.label(0));
            assertEquals(0, test.label(59), "sorted by class: the first 60 images are class 0");

            Tensor subset = EncoderFeatures.reconstructionSubset(test, 1000);               // [600]
            assertEquals(TEST, subset.size(0));
            assertArrayEquals(Tensors.toLongs(subset), Tensors.toLongs(EncoderFeatures.reconstructionSubset(test, 1000)),
                    "seeded: the same images every time");
            long[] grid = Arrays.copyOf(Tensors.toLongs(subset), 50);
            long classes = Arrays.stream(grid).map(i -> test.label((int) i)).distinct().count();
            assertTrue(classes >= 8, "the 50 grid images show " + classes + " of 10 classes");

            // random pairs: the subset's neighbours; compare with the mean distance over all pairs of test images
            var err = EncoderFeatures.reconstructionError(trainer.inference(), test, 1000, 64);
            assertEquals(TEST, err.images());
            Tensor x = test.all().flatten(1, -1);                                            // [600, 784]
            double allPairs = torch.cdist(x, x).sum().item_double() / (TEST * (TEST - 1.0));
            double firstRows = x.narrow(0, 1, 49).sub(x.narrow(0, 0, 49)).pow(new Scalar(2)).sum(new long[]{1})
                    .sqrt().mean().item_double();                                             // the old baseline's pairs
            System.out.printf("random pairs ||x - x'||: subset %.3f, all pairs %.3f, first rows %.3f%n",
                    err.randomPair(), allPairs, firstRows);
            assertEquals(allPairs, err.randomPair(), 0.03 * allPairs);
            assertTrue(Math.abs(firstRows - allPairs) > 0.1 * allPairs,
                    "the first rows are one class: their distances are not those of random pairs");

            // chunking changes nothing but the order of summation
            var whole = EncoderFeatures.reconstructionError(trainer.inference(), test, subset, TEST);
            for (int batch : new int[]{1, 7, 64}) {
                var chunked = EncoderFeatures.reconstructionError(trainer.inference(), test, subset, batch);
                assertEquals(whole.recon(), chunked.recon(), 1e-4 * whole.recon(), "batch " + batch);
                assertEquals(whole.mismatched(), chunked.mismatched(), 1e-4 * whole.mismatched(), "batch " + batch);
                assertEquals(whole.randomPair(), chunked.randomPair(), 1e-4 * whole.randomPair(), "batch " + batch);
            }

            // the training run's grids use the subset's first 50 images, and its errors the whole subset
            var fromRun = TrainingRun.writeImages(trainer.inference(), test, trainer.inference().sampleLatent(100, torch.createCPUGenerator(3)),
                    dir.resolve("images"), 5, 16);
            assertTrue(Files.size(dir.resolve("images/reconstructions-00000005.png")) > 0);
            assertTrue(Files.size(dir.resolve("images/samples-00000005.png")) > 0);
            assertEquals(err.randomPair(), fromRun.randomPair(), 1e-4 * err.randomPair());
            var pairs = EncoderFeatures.reconstructions(trainer.inference(), test, subset.narrow(0, 0, 50), 16);
            assertTrue(torch.equal(pairs.images(), trainer.inference().toImages(trainer.prepare(test.batch(subset.narrow(0, 0, 50))))));
        }
    }

    /** Synthetic shapes sorted by class, written as an IDX folder. */
    private static void writeClassSorted(Path dir) throws IOException {
        for (String split : new String[]{"train", "t10k"}) {
            int n = split.equals("train") ? TRAIN : TEST;
            try (ImageDataset d = SyntheticShapes.generate(split, n, split.length()); StepScope s = StepScope.open()) {
                int[] order = IntStream.range(0, n).boxed().sorted((a, b) -> Integer.compare(d.label(a), d.label(b)))
                        .mapToInt(Integer::intValue).toArray();
                byte[] px = new byte[n * SIDE * SIDE], lb = new byte[n];
                byte[] all = new byte[n * SIDE * SIDE];
                Tensor bytes = d.images().contiguous();                                         // uint8 [n, 1, 28, 28]
                bytes.data_ptr_byte().get(all);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(all, order[i] * SIDE * SIDE, px, i * SIDE * SIDE, SIDE * SIDE);
                    lb[i] = (byte) d.label(order[i]);
                }
                Files.write(dir.resolve(split + "-images-idx3-ubyte"), idx(0x803, new int[]{n, SIDE, SIDE}, px));
                Files.write(dir.resolve(split + "-labels-idx1-ubyte"), idx(0x801, new int[]{n}, lb));
            }
        }
    }

    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);         // big-endian
        b.putInt(magic);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }
}
