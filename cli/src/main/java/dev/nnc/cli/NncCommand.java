package dev.nnc.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of every subcommand: turns what {@link #execute()} throws into an exit code, so that the
 * command behaves the same however it is started ({@link Main#main}, or
 * {@code new CommandLine(new Main()).execute(...)} in tests):
 * <ul>
 *   <li>{@link UserError}: one line {@code nnc: message} on stderr, exit 1;</li>
 *   <li>{@link CommandLine.ParameterException}: passed on to picocli (message and usage, exit 2);</li>
 *   <li>running out of memory: one line with advice, exit 1;</li>
 *   <li>anything else is a bug: one line {@code nnc: internal error: ...}, the stack trace only
 *       with {@code --debug}, exit 3.</li>
 * </ul>
 */
abstract class NncCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** The command's work; returns the exit code. */
    abstract int execute() throws Exception;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (CommandLine.ParameterException e) {
            throw e;
        } catch (UserError e) {
            err().println("nnc: " + e.getMessage());
            return Main.USER_ERROR;
        } catch (OutOfMemoryError e) {
            err().println("nnc: out of memory (" + e.getMessage() + "); try a smaller --batch, "
                    + "or give the JVM more heap (JAVA_TOOL_OPTIONS=-Xmx16g)");
            return Main.USER_ERROR;
        } catch (Exception | StackOverflowError e) {
            return Main.internalError(e, debug(), err());
        }
    }

    /** Whether {@code --debug} was given (it is inherited: before or after the command name). */
    final boolean debug() {
        return spec.root().userObject() instanceof Main m && m.debug;
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A usage error: picocli prints the message and the command's usage; exit 2. */
    final CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * A {@link PrintStream} onto one of picocli's writers, for APIs that take a stream (the
     * trainer). Text reaches the writer at each write call, so a progress bar redrawn with
     * {@code '\r'} shows at once.
     */
    static PrintStream stream(PrintWriter w) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                pending.write(b);
                if (b == '\n') flush();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                pending.write(b, off, len);
                flush();
            }

            @Override
            public void flush() {
                w.print(pending.toString(StandardCharsets.UTF_8));
                w.flush();
                pending.reset();
            }
        }, true, StandardCharsets.UTF_8);
    }
}
