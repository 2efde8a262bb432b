; Peel's Windows installer: NSIS 3 (Modern UI 2), compiled on Debian by scripts/package with
; Debian's makensis. The defines come from scripts/package:
;
;   makensis -DVERSION=0.1.0 -DPEEL_EXE=…/peel.exe -DLAUNCHER_EXE=…/peel-window.exe
;            -DICON=assets/peel.ico -DWIZARD_BMP=packaging/windows/wizard.bmp
;            -DOUTFILE=…/Peel-0.1.0-setup.exe packaging/windows/peel.nsi
;
; Per user: Peel goes to %LOCALAPPDATA%\Programs\Peel without administrator rights (designers on
; managed computers often have none), with a Start Menu entry and an entry in Settings > Apps that
; uninstalls it. Uninstalling keeps the designer's images and history (%APPDATA%\peel\data) and
; the key (Windows Credential Manager). `/S` installs silently (the Windows smoke suite does).

Unicode true
; A 64-bit installer for the 64-bit Peel; Wine's 64-bit prefix in CI runs it too.
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
ManifestDPIAware true

!include "MUI2.nsh"
!include "FileFunc.nsh"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Peel"

Name "Peel"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Peel"
InstallDirRegKey HKCU "Software\Peel" "InstallDir"
BrandingText "Peel ${VERSION}"

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Peel"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "Peel ${VERSION} installer"
VIAddVersionKey "LegalCopyright" "MIT OR Apache-2.0"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_WELCOMEFINISHPAGE_BITMAP "${WIZARD_BMP}"
!define MUI_UNWELCOMEFINISHPAGE_BITMAP "${WIZARD_BMP}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "Peel makes images with Google's Gemini image models and tells you, in plain words, why a generation failed and what to change.$\r$\n$\r$\nIt installs for you only (no administrator rights needed). Without an API key it runs on its built-in simulator, so you can try it at once."
!define MUI_FINISHPAGE_RUN "$INSTDIR\peel-window.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open Peel"
!define MUI_UNCONFIRMPAGE_TEXT_TOP "Peel will be removed from this computer. Your images and history in %APPDATA%\peel and your API key in Windows Credential Manager stay."

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Peel"
  SetOutPath "$INSTDIR"
  File "/oname=peel.exe" "${PEEL_EXE}"
  File "/oname=peel-window.exe" "${LAUNCHER_EXE}"
  File "/oname=peel.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\Peel.lnk" "$INSTDIR\peel-window.exe" "" "$INSTDIR\peel.ico" 0 \
    SW_SHOWNORMAL "" "Generate images with Gemini and see exactly why a generation failed"

  WriteRegStr HKCU "Software\Peel" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Peel"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\peel.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\Peel.lnk"
  Delete "$INSTDIR\peel.exe"
  Delete "$INSTDIR\peel-window.exe"
  Delete "$INSTDIR\peel.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\Peel"
SectionEnd
