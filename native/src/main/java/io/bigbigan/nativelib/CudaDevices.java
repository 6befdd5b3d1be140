package io.bigbigan.nativelib;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Names and memory of CUDA devices, read through the org.bytedeco:cuda preset when it is on the class path (the
 * {@code cuda} Maven profile). Reflection keeps the CPU build free of that dependency.
 */
final class CudaDevices {
    private CudaDevices() {}

    static List<String> describe(int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(describeOne(i));
        return out;
    }

    // Checked with javap against cuda-13.1-9.19-1.5.13.jar: int cudart.cudaGetDeviceProperties(cudaDeviceProp, int),
    // BytePointer cudaDeviceProp.name(), long cudaDeviceProp.totalGlobalMem().
    private static String describeOne(int index) {
        try {
            Class<?> cudart = Class.forName("org.bytedeco.cuda.global.cudart");
            Class<?> propsClass = Class.forName("org.bytedeco.cuda.cudart.cudaDeviceProp");
            Object props = propsClass.getConstructor().newInstance();
            Method get = cudart.getMethod("cudaGetDeviceProperties", propsClass, int.class);
            int rc = (int) get.invoke(null, props, index);
            if (rc != 0) return "(properties unavailable: cuda error " + rc + ")";
            Object name = propsClass.getMethod("name").invoke(props);
            String n = (String) name.getClass().getMethod("getString").invoke(name);
            long mem = (long) propsClass.getMethod("totalGlobalMem").invoke(props);
            return n + ", " + (mem >> 20) + " MiB";
        } catch (ClassNotFoundException e) {
            return "(name unavailable: org.bytedeco:cuda is not on the class path; build with -Pcuda)";
        } catch (ReflectiveOperationException | LinkageError e) {
            // Reached under the cuda profile when the preset cannot link, e.g. the host lacks libcudart.so.13.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "(name unavailable: " + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        }
    }

    /**
     * Bytes in use on the current CUDA device (total minus free, as cudaMemGetInfo reports: LibTorch's caching
     * allocator reservations included), or -1 when unavailable (CPU build, no GPU).
     */
    static long usedBytes() {
        try {
            Class<?> cudart = Class.forName("org.bytedeco.cuda.global.cudart");
            var free = new org.bytedeco.javacpp.SizeTPointer(1);
            var total = new org.bytedeco.javacpp.SizeTPointer(1);
            int rc = (int) cudart.getMethod("cudaMemGetInfo", org.bytedeco.javacpp.SizeTPointer.class,
                    org.bytedeco.javacpp.SizeTPointer.class).invoke(null, free, total);
            return rc != 0 ? -1 : total.get() - free.get();
        } catch (ReflectiveOperationException | LinkageError e) {
            return -1;
        }
    }
}
