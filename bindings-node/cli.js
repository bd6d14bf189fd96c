#!/usr/bin/env node
'use strict'
// The `ticksupply` command (this package's `bin`): the Rust program of the `ticksupply-cli`
// crate, run in this process through the addon. `runCli` takes the whole argv, its first item
// the program name, and blocks until the command ends; its return value is the exit code.

const { runCli } = require('./native.js')

process.exitCode = runCli(['ticksupply', ...process.argv.slice(2)])
