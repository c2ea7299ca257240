package dev.nnc.bench;

import dev.nnc.compiler.api.CompileOptions;
import dev.nnc.compiler.api.Nnc;
import dev.nnc.compiler.api.SourceFile;
import dev.nnc.compiler.report.PlanReport;
import dev.nnc.compiler.ir.ModelIr;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Prints the fusion and memory figures of each .nn file given, for training and for inference
 * mode at batch 128, as a Markdown table (the README's table). Every ratio compares the
 * compiled model with the same model compiled with {@code --no-fuse --no-plan}.
 */
public final class Figures {
    private Figures() {
    }

    private static String mb(long fused, long unfused) {
        return String.format(Locale.ROOT, "%.2f / %.2f MB = %.2f", fused / 1e6, unfused / 1e6, (double) fused / unfused);
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: Figures FILE.nn...");
            System.exit(2);
        }
        int batch = Integer.getInteger("batch", 128);
        System.out.println("| model | mode | kernels fused / unfused | arena / naive | arena / peak live "
                + "| bytes moved fused / unfused | of which forward + backward | of which update |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String a : args) {
            SourceFile src = SourceFile.read(Path.of(a));
            for (CompileOptions.Mode mode : CompileOptions.Mode.values()) {
                CompileOptions o = CompileOptions.defaults().withMode(mode);
                for (ModelIr m : Nnc.lower(src, o)) {
                    PlanReport.Figures f = new PlanReport(m, src, o, Nnc.version(), batch).figures();
                    System.out.println(String.format(Locale.ROOT,
                            "| %s | %s | %d / %d = %.2f | %,d / %,d B = %.3f | %.3f | %.2f / %.2f MB = %.2f | %s | %s |",
                            m.name(), mode.name().toLowerCase(Locale.ROOT), f.kernels(), f.unfusedKernels(),
                            f.kernelRatio(), f.arenaBytes(), f.naiveBytes(), f.arenaRatio(), f.peakRatio(),
                            f.bytesMoved() / 1e6, f.unfusedBytesMoved() / 1e6, f.bytesRatio(),
                            mb(f.bytesMoved() - f.updateBytes(), f.unfusedBytesMoved() - f.unfusedUpdateBytes()),
                            f.unfusedUpdateBytes() == 0 ? "—" : mb(f.updateBytes(), f.unfusedUpdateBytes())));
                }
            }
        }
    }
}
