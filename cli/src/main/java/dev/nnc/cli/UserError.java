package dev.nnc.cli;

/** A problem with the user's input (program, data, files): printed as one line, exit code 1. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message, null, false, false);
    }
}
