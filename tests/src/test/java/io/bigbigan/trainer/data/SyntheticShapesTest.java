package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticShapesTest {
    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() {
        try (ImageDataset a = SyntheticShapes.generate("a", 300, 7);
             ImageDataset b = SyntheticShapes.generate("b", 300, 7);
             ImageDataset c = SyntheticShapes.generate("c", 300, 8);
             ImageDataset prefix = SyntheticShapes.generate("p", 100, 7);
             StepScope s = StepScope.open()) {
            assertTrue(torch.equal(a.images(), b.images()));
            assertTrue(torch.equal(a.labels(), b.labels()));
            assertFalse(torch.equal(a.images(), c.images()));
            // image i depends only on (seed, i): a smaller set is a prefix of a larger one
            assertTrue(torch.equal(prefix.images(), a.images().narrow(0, 0, 100)));
        }
    }

    @Test
    void shapesClassesAndPixelRange() {
        try (ImageDataset ds = SyntheticShapes.generate("s", 1000, 3); StepScope s = StepScope.open()) {
            assertArrayEquals(new long[]{1000, 1, 28, 28}, Tensors.shape(ds.images()));
            assertArrayEquals(new long[]{1000, 1, 28, 28}, Tensors.shape(ds.all()));
            assertEquals(10, ds.numClasses());
            assertEquals(10, new HashSet<>(ds.classNames()).size(), "class names must be distinct");
            for (int count : ds.classCounts()) assertEquals(100, count);

            Tensor x = ds.all();                                     // float [N, 1, 28, 28]
            assertTrue(x.min().item_float() >= 0f && x.max().item_float() <= 1f);
            float mean = x.mean().item_float();
            assertTrue(mean > 0.05f && mean < 0.5f, "mean pixel " + mean);
            // every image has a visible shape: its brightest pixel stands well above its mean
            Tensor flat = x.flatten(1, -1);                           // [N, 784]
            Tensor contrast = flat.amax(new long[]{1}, false).sub(flat.mean(1));
            assertTrue(contrast.min().item_float() > 0.3f, "lowest contrast " + contrast.min().item_float());
        }
    }

    @Test
    void classesAreVisuallyDistinct() {
        try (ImageDataset proto = SyntheticShapes.prototypes(); StepScope s = StepScope.open()) {
            assertArrayEquals(new long[]{10, 1, 28, 28}, Tensors.shape(proto.images()));
            Tensor x = proto.all().flatten(1, -1);                        // [10, 784]
            float[] d = Tensors.toFloats(torch.cdist(x, x));              // [10, 10]
            float closest = Float.MAX_VALUE;
            for (int i = 0; i < 10; i++)
                for (int j = 0; j < 10; j++) if (i != j) closest = Math.min(closest, d[i * 10 + j]);
            System.out.printf("synthetic: closest pair of class prototypes at L2 distance %.2f%n", closest);
            // 3.0 in [0, 1] pixel units = at least 9 pixels fully different
            assertTrue(closest > 3.0f, "two classes look alike: " + closest);
        }
    }

    @Test
    void rawPixelsClassifyPoorlyButAboveChance() {
        try (ImageDataset train = SyntheticShapes.generate("nn-train", 2000, 11);
             ImageDataset test = SyntheticShapes.generate("nn-test", 500, 12);
             StepScope s = StepScope.open()) {
            Tensor xtr = train.all().flatten(1, -1);                      // [2000, 784]
            Tensor xte = test.all().flatten(1, -1);                       // [500, 784]
            Tensor nearest = torch.cdist(xte, xtr).argmin(new LongOptional(1), false); // [500]
            Tensor predicted = train.labels().index_select(0, nearest);
            double accuracy = predicted.eq(test.labels()).sum().item_long() / 500.0;
            System.out.printf("synthetic: raw-pixel 1-NN accuracy (2000 train / 500 test) = %.3f%n", accuracy);
            assertTrue(accuracy < 0.85, "raw pixels classify too well: " + accuracy);
            assertTrue(accuracy > 0.2, "raw pixels at chance level: " + accuracy);
        }
    }

    @Test
    void defaultSplitsGenerateFast() {
        long t0 = System.nanoTime();
        try (ImageDataset train = SyntheticShapes.train(); ImageDataset test = SyntheticShapes.test()) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("synthetic: generated %d + %d images in %.3f s%n", train.size(), test.size(), seconds);
            assertEquals(List.of(12_000, 3_000), List.of(train.size(), test.size()));
            assertTrue(seconds < 3, "generation took " + seconds + " s");
        }
    }
}
