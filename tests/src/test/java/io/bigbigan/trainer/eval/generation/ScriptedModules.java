package io.bigbigan.trainer.eval.generation;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Writes small TorchScript modules for tests, without Python. The JavaCPP API has no
 * {@code torch::jit::Module::define(source)} ({@code JitModule} exposes no {@code define}, and
 * {@code CompilationUnit.define} takes parsed ASTs only), so: an {@link OutputArchive} of a plain {@link Module}
 * holding the parameters is written (a TorchScript zip whose {@code code/__torch__.py} declares the attributes), and
 * that class source is replaced by one with a {@code forward} method. LibTorch's loader compiles the source on load.
 */
public final class ScriptedModules {
    private ScriptedModules() {}

    /**
     * A module with the given float parameters and the TorchScript methods {@code methods} (indented by 2 spaces,
     * e.g. {@code "  def forward(self, x: Tensor) -> Tensor:\n    return x\n"}), written to {@code file}.
     */
    public static void write(Path file, Map<String, Tensor> parameters, String methods) throws IOException {
        Module m = new Module("Scripted");
        StringBuilder code = new StringBuilder("class Module(Module):\n  __parameters__ = [");
        for (var e : parameters.entrySet()) {
            m.register_parameter(e.getKey(), e.getValue(), false);
            code.append('"').append(e.getKey()).append("\", ");
        }
        code.append("]\n  __buffers__ = []\n");
        for (String name : parameters.keySet()) code.append("  ").append(name).append(" : Tensor\n");
        code.append(methods);
        Path raw = Files.createTempFile(file.getParent(), "raw", ".pt");
        OutputArchive oa = new OutputArchive();
        m.save(oa);
        oa.save_to(raw.toString());
        try (ZipFile in = new ZipFile(raw.toFile()); OutputStream os = Files.newOutputStream(file);
             ZipOutputStream out = new ZipOutputStream(os)) {
            for (ZipEntry e : Collections.list(in.entries())) {
                if (e.getName().endsWith(".debug_pkl")) continue;        // debug info of the replaced source
                byte[] b = e.getName().endsWith("code/__torch__.py") ? code.toString().getBytes(StandardCharsets.UTF_8)
                        : in.getInputStream(e).readAllBytes();
                ZipEntry ne = new ZipEntry(e.getName());
                ne.setMethod(ZipEntry.STORED);
                ne.setSize(b.length);
                CRC32 crc = new CRC32();
                crc.update(b);
                ne.setCrc(crc.getValue());
                out.putNextEntry(ne);
                out.write(b);
                out.closeEntry();
            }
        }
        Files.delete(raw);
    }
}
