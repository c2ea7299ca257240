// Second build: a.nn up to date (not recompiled), the output of the deleted b.nn removed.

// the plugin keeps one state file per (source, output) directory pair
String stateText() {
    def files = new File(basedir, 'target/nnc-state').listFiles().findAll { it.name.endsWith('.state') }
    assert files.size() == 1 : "expected one state file, got ${files}"
    return files[0].text
}

def log = new File(basedir, 'build.log').text
def first = log.indexOf('nnc: 0 up to date, 2 compiled')
def second = log.indexOf('nnc: 1 up to date, 0 compiled, 1 stale output removed')
assert first >= 0 : 'first build should compile both files'
assert second > first : 'second build should find a.nn up to date and remove the output of b.nn'

def out = new File(basedir, 'target/generated-sources/nnc/com/example')
assert new File(out, 'Alpha.java').isFile()
assert !new File(out, 'Beta.java').exists()
def state = stateText()
assert state.contains('input com/example/a.nn')
assert !state.contains('b.nn')
return true
