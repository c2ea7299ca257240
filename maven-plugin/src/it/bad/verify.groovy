// The build failed as a user error, naming file, line and column, and showing the line with a caret.
def lines = new File(basedir, 'build.log').readLines()
def log = lines.join('\n')

def at = lines.findIndexOf { it.contains('bad.nn:5:') && it.contains('error:') }
assert at >= 0 : 'no "bad.nn:5: ... error:" line in build.log'
assert lines[at].contains('hidden') : "the message should name 'hidden': ${lines[at]}"

// the source line, then a caret under 'hidden'
def source = lines[at + 1]
def caret = lines[at + 2]
assert source.contains('logits = dense(hidden, 3)') : "expected the source line, got: ${source}"
assert caret.trim() == '^' : "expected a caret line, got: ${caret}"
assert caret.indexOf('^') == source.indexOf('hidden') : "caret not under 'hidden':\n${source}\n${caret}"

assert log =~ /nnc: \d+ errors? in 1 file/
// a user error (MojoFailureException), not a plugin bug, and no stack trace
assert log.contains('MojoFailureException')
assert !log.contains('MojoExecutionException')
assert !(log =~ /\tat dev\.nnc\./)
assert !new File(basedir, 'target/generated-sources/nnc/Bad.java').exists()
return true
