package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Without the Vector API module the runtime says once that the plain-Java kernels run. */
class PlainKernelNoteTest {

    /** Run in a JVM without {@code --add-modules jdk.incubator.vector}: asks for the note twice. */
    public static void main(String[] args) {
        System.out.println("first=" + Gemm.noteWhenPlain() + " second=" + Gemm.noteWhenPlain()
                + " vector=" + Gemm.vectorAvailable());
    }

    private static String[] run(String... jvmArgs) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PlainKernelNoteTest.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM finished");
        return new String[] {out.strip(), err};
    }

    @Test
    void saysOnceThatThePlainKernelsRun() throws Exception {
        String[] r = run();
        assertEquals("first=true second=false vector=false", r[0]);
        assertEquals(1, r[1].split("not in this JVM", -1).length - 1, r[1]);
        assertTrue(r[1].contains("--add-modules jdk.incubator.vector"), r[1]);
    }

    @Test
    void saysNothingWithTheModule() throws Exception {
        String[] r = run("--add-modules", "jdk.incubator.vector");
        assertEquals("first=false second=false vector=true", r[0]);
        assertTrue(!r[1].contains("plain-Java"), r[1]);
    }

    @Test
    void namesTheSwitchWhenTurnedOff() throws Exception {
        String[] r = run("--add-modules", "jdk.incubator.vector", "-Dnnc.vector=false");
        assertEquals("first=true second=false vector=false", r[0]);
        assertTrue(r[1].contains("-Dnnc.vector=false"), r[1]);
    }
}
