// The architectures a cell image is built for: a manifest's `arch`, rumpkctl's `--arch`.

public enum Arch: String, CaseIterable, Sendable {
  case aarch64
  case riscv64
}
