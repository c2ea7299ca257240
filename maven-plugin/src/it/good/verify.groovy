// The .nn file was compiled into the package of its directory, and the Java code using it built and tested.

// the plugin keeps one state file per (source, output) directory pair
String stateText() {
    def files = new File(basedir, 'target/nnc-state').listFiles().findAll { it.name.endsWith('.state') }
    assert files.size() == 1 : "expected one state file, got ${files}"
    return files[0].text
}

def generated = new File(basedir, 'target/generated-sources/nnc/com/example/Tiny.java')
assert generated.isFile() : "missing ${generated}"
assert generated.text.contains('package com.example;')

def log = new File(basedir, 'build.log').text
assert log.contains('nnc: 0 up to date, 1 compiled')
assert new File(basedir, 'target/classes/com/example/Tiny.class').isFile()
assert new File(basedir, 'target/classes/com/example/App.class').isFile()
assert log =~ /Tests run: 2, Failures: 0, Errors: 0, Skipped: 0/
assert stateText().contains('output com/example/Tiny.java')
return true
