// Rules for the YARA cost row of bench/run.sh: a small, typical set (file type checks, text
// markers, hex patterns, a regular expression) run on every file of the benchmark corpus.
rule Bench_PE_Executable { condition: uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 }
rule Bench_ELF { condition: uint32(0) == 0x464C457F }
rule Bench_Zip_With_Exe { strings: $pk = { 50 4B 03 04 } $exe = ".exe" nocase condition: $pk at 0 and $exe }
rule Bench_PowerShell_Download { strings: $a = "DownloadString" nocase $b = "IEX" condition: all of them }
rule Bench_Base64_PE { strings: $a = "TVqQAAMAAAAEAAAA" condition: $a }
rule Bench_Webshell { strings: $a = "eval($_POST" nocase $b = "base64_decode(" nocase condition: any of them }
rule Bench_Office_Macro { strings: $a = "vbaProject.bin" $b = "_VBA_PROJECT" wide ascii condition: any of them }
rule Bench_Emdivi_Like { strings: $a = /[a-z]{4,8}_t[0-9]{2}/ $b = "Mozilla/4.0 (compatible; MSIE 8.0" condition: $a and $b }
rule Bench_Suspicious_JS { strings: $a = "String.fromCharCode" $b = "unescape(" condition: all of them }
rule Bench_Password_Dump { strings: $a = "mimikatz" nocase $b = "sekurlsa" nocase condition: any of them }
