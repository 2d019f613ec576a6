// The hosted process seen as a cell image: its code (where fiber entries may lie) and its data.

import RumpkHostedSwitch
import RumpkKernel

public enum HostedImage {
  public static var text: Region {
    let s = UInt64(UInt(bitPattern: hosted_text_start())), e = UInt64(UInt(bitPattern: hosted_text_end()))
    return Region(base: s, size: e - s)
  }

  public static var data: Region {
    let s = UInt64(UInt(bitPattern: hosted_data_start())), e = UInt64(UInt(bitPattern: hosted_data_end()))
    return Region(base: s, size: e - s)
  }
}
