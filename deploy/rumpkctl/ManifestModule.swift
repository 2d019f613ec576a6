// Manifest parsing lives in its own module (deploy/RumpkManifest) so the manifest fuzz target
// (Tests/Fuzz/manifest) runs the very code rumpkctl runs; re-exported here so every file of
// rumpkctl sees CellManifest, Arch and the rest as before.

@_exported import RumpkManifest
