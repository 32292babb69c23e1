# The few `pkgs` attributes our modules use, stood in by inert values, so module logic can be
# evaluated without a nixpkgs package set. A package is an attribute set with a name and a
# fake store path; file writers return the path they would create.
{ lib }:

let
  package = name: {
    inherit name;
    type = "derivation";
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
in
{
  # Scripts keep their text, so tests can read what they run.
  writeShellScript = name: text: package name // { inherit text; };
  writeShellScriptBin = name: text: package name // { inherit text; };
  writeText = name: _text: "/nix/store/00000000000000000000000000000000-${name}";
  runCommand = name: _env: _script: "/nix/store/00000000000000000000000000000000-${name}";
  formats.json = _: {
    type = lib.types.attrsOf lib.types.anything;
    generate = name: _value: "/nix/store/00000000000000000000000000000000-${name}";
  };
  linuxPackages_latest = package "linux-latest";
  linuxPackages_rt_latest = package "linux-rt-latest";
  ubootOrangePi5 = package "uboot-orangepi5";
  pipewire = package "pipewire" // { jack = package "pipewire-jack"; };
}
// lib.genAttrs [
  "archibald-tools"
  "bash"
  "coreutils"
  "firefox"
  "jack2"
  "kdePackages"
  "mousepad"
  "pavucontrol"
  "qpwgraph"
  "pcmanfm"
  "systemd"
  "waybar"
  "kitty"
  "dmenu"
  "st"
  "plymouth"
] package
