# Stands in for `import nixpkgs { system; overlays; }` when flake.nix's outputs are evaluated
# without a package set: the stub packages with the flake's overlays applied. flake.nix imports
# nixpkgs with nixpkgs' own arguments only, so run-eval-tests.sh generates a one-line
# default.nix that calls this file with the lib checkout's path added.
{ system ? "x86_64-linux", overlays ? [ ], libPath }:

let
  lib = import (libPath + "/lib");
  base = import ./stub-pkgs.nix { inherit lib; } // {
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
