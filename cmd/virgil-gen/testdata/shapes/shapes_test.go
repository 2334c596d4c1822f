package main

// Test files are not read by virgil-gen: this export would collide with Add.
//
//virgil:export add
func testOnly() {}
