# Stands in for `import nixpkgs { system; overlays; }` when flake.nix's outputs are evaluated
# without a package set: the stub packages with the flake's overlays applied. flake.nix imports
# it with nixpkgs' own arguments only, so the lib checkout comes from the variable the test
# runner sets (test code only; the modules themselves never read the environment).
{ system ? "x86_64-linux", overlays ? [ ] }:

let
  lib = import (builtins.getEnv "NIXPKGS_LIB" + "/lib");
  base = import ../stub-pkgs.nix { inherit lib; } // {
    inherit system;
    callPackage = fn: _args: {
      type = "derivation";
      name = "callPackage";
      outPath = "/nix/store/00000000000000000000000000000000-callPackage";
    };
  };
  final = lib.foldl' (acc: overlay: acc // overlay final acc) base overlays;
in
final
