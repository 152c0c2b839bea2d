<#
.SYNOPSIS
  Build the Windows bundle and installer of Palette Desktop.

.DESCRIPTION
  The Windows counterpart of packaging/build.sh:
   1. a clean build venv (build\bundle-venv) with the app's runtime dependencies, the CPU
      build of ONNX Runtime (not onnxruntime-gpu) and PyInstaller; never torch
   2. PyInstaller with packaging\palette_desktop.spec -> dist\palette-desktop\ holding
      "Palette Desktop.exe" (windowed) and palette-desktop.exe (console), one _internal\
   3. checks on the fresh bundle: --version and --self-test through the console exe, the
      windowed exe starting (offscreen) and running for 8 s, size and largest parts
   4. Inno Setup 6 (ISCC.exe) -> dist\PaletteDesktop-VERSION-windows-x64-setup.exe

  Needs: 64-bit Python 3.11+ (python.org or the py launcher), Inno Setup 6
  (winget install JRSoftware.InnoSetup). Run from any folder:
    powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

.PARAMETER Ort
  ONNX Runtime wheel for the bundle (default onnxruntime; onnxruntime-directml would also
  work with the engine's CPU fallback, but the engine does not ask for DirectML yet).

.PARAMETER NoInstaller
  Stop after the checks.
#>
param(
    [string]$Ort = "onnxruntime",
    [string]$Python = "",
    [switch]$NoInstaller
)
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root
$Start = Get-Date

function Step($text) { Write-Host "`n==> $text" -ForegroundColor Cyan }
function Fail($text) { Write-Host "build.ps1: FAILED: $text" -ForegroundColor Red; exit 1 }
function Invoke-Checked {
    # run a native command; stop on a non-zero exit code (PowerShell 5 does not)
    $exe, $rest = $args
    & $exe @rest
    if ($LASTEXITCODE -ne 0) { Fail "$exe $rest (exit code $LASTEXITCODE)" }
}

$Version = (Select-String -Path "palette_desktop\__init__.py" -Pattern '^__version__ = "(.+)"').Matches[0].Groups[1].Value
if (-not $Version) { Fail "no __version__ in palette_desktop\__init__.py" }

# --- 1. build environment -----------------------------------------------------------------
Step "build venv build\bundle-venv (ONNX Runtime: $Ort)"
$Venv = "build\bundle-venv"
$Py = "$Venv\Scripts\python.exe"
if (-not (Test-Path $Py)) {
    if ($Python) { Invoke-Checked $Python -m venv $Venv }
    elseif (Get-Command py -ErrorAction SilentlyContinue) { Invoke-Checked py -3.11 -m venv $Venv }
    else { Invoke-Checked python -m venv $Venv }
}
$Reqs = "build\bundle-requirements.txt"
& $Py packaging\bundle_requirements.py --ort $Ort | Set-Content -Encoding ascii $Reqs
Add-Content -Encoding ascii $Reqs "pyinstaller>=6.5"
& $Py -m pip uninstall -y -q onnxruntime onnxruntime-gpu onnxruntime-directml 2>$null | Out-Null
Invoke-Checked $Py -m pip install -q --upgrade -r $Reqs

# --- 2. PyInstaller -----------------------------------------------------------------------
Step "PyInstaller -> dist\"
if (Test-Path "dist\palette-desktop") { Remove-Item -Recurse -Force "dist\palette-desktop" }
Invoke-Checked $Py -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\palette_desktop.spec
$Gui = Join-Path $Root "dist\palette-desktop\Palette Desktop.exe"
$Cli = Join-Path $Root "dist\palette-desktop\palette-desktop.exe"
foreach ($exe in @($Gui, $Cli)) { if (-not (Test-Path $exe)) { Fail "$exe was not built" } }

# --- 3. checks ----------------------------------------------------------------------------
Step "checks"
$CheckDir = Join-Path ([IO.Path]::GetTempPath()) ("palette-check-" + [guid]::NewGuid())
New-Item -ItemType Directory $CheckDir | Out-Null
Push-Location $CheckDir
try {
    $got = (& $Cli --version | Out-String).Trim()
    if ($got -ne "palette-desktop $Version") { Fail "--version printed '$got'" }
    Write-Host "--version: $got"
    Write-Host "--self-test:"
    Invoke-Checked $Cli --self-test

    Write-Host "window (QT_QPA_PLATFORM=offscreen, 8 s):"
    $env:QT_QPA_PLATFORM = "offscreen"
    $proc = Start-Process -FilePath $Gui -PassThru
    Start-Sleep -Seconds 8
    Remove-Item Env:\QT_QPA_PLATFORM
    if ($proc.HasExited) { Fail "the window exited on its own within 8 s (exit code $($proc.ExitCode))" }
    Stop-Process -Id $proc.Id
    Write-Host "    started, ran 8 s, closed"
} finally {
    Pop-Location
    Remove-Item -Recurse -Force $CheckDir -ErrorAction SilentlyContinue
}
$leaked = Get-ChildItem -Recurse "dist\palette-desktop" -Include "*torch*", "onnxruntime_providers_cuda*", "cudnn*" -ErrorAction SilentlyContinue
if ($leaked -and $Ort -eq "onnxruntime") { Fail "unwanted files in the bundle: $($leaked | Select-Object -First 5)" }

Step "size"
Invoke-Checked $Py packaging\bundle_size.py dist\palette-desktop

# --- 4. installer -------------------------------------------------------------------------
if (-not $NoInstaller) {
    Step "Inno Setup"
    $iscc = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    $candidates = @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
                    "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")
    if ($iscc) { $iscc = $iscc.Source } else { $iscc = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1 }
    if (-not $iscc) { Fail "ISCC.exe not found: install Inno Setup 6 (winget install JRSoftware.InnoSetup)" }
    Invoke-Checked $iscc /Q "/DAppVersion=$Version" packaging\windows\palette-desktop.iss
    Get-Item "dist\PaletteDesktop-$Version-windows-x64-setup.exe" | ForEach-Object { "{0}  {1:N1} MB" -f $_.FullName, ($_.Length / 1MB) }
}
Step ("done in {0:N0} s" -f ((Get-Date) - $Start).TotalSeconds)
