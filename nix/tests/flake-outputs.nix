# Evaluates flake.nix's outputs with stand-in inputs (nixpkgs' lib plus inert packages and a
# nixosSystem that records its arguments) and checks that every `.#name` that
# docs/distribution.md tells users to build, run or install exists among the outputs.
# Returns the same { checks = [ ... ]; } shape as eval-modules.nix.
{ libPath, stubNixpkgs }:

let
  lib = import (libPath + "/lib");
  inherit (lib) hasAttrByPath splitString hasInfix filter unique;
  drv = name: { type = "derivation"; inherit name; outPath = "/nix/store/00000000000000000000000000000000-${name}"; };

  nixpkgs = {
    outPath = "/nixpkgs-stub";
    lib = lib // {
      nixosSystem = args: {
        inherit args;
        config.system.build = { isoImage = drv "iso"; sdImage = drv "sd-image"; toplevel = drv "system"; };
      };
    };
  };
  # flake.nix imports nixpkgs to get a package set; route that import to the stub.
  flake = import ../../flake.nix;
  inputs = {
    inherit self;
    nixpkgs = nixpkgs // { outPath = stubNixpkgs; };
    musnix.nixosModules.musnix = { };
    disko = { nixosModules.disko = { }; packages.x86_64-linux.disko = drv "disko"; };
  };
  self = flake.outputs inputs // { outPath = ../..; };
  outputs = self;

  doc = builtins.readFile ../../docs/distribution.md;
  lines = filter (l: hasInfix "#" l) (splitString "\n" doc);
  # Every ".#attr" (or "/etc/archibaldos#attr", the flake on the ISO) on a line, with the
  # command it belongs to.
  refsOf = line:
    let parts = builtins.split "(\\.|/etc/archibaldos)#([A-Za-z0-9._-]+)" line;
    in map (m: { attr = lib.last m; inherit line; }) (filter builtins.isList parts);
  refs = lib.concatMap refsOf lines;

  exists = ref:
    let
      path = splitString "." ref.attr;
      installs = hasInfix "nixos-install" ref.line || hasInfix "nixos-rebuild" ref.line
        || hasInfix "disko" ref.line;
    in
    if installs then hasAttrByPath [ "nixosConfigurations" ref.attr ] outputs
    else if builtins.length path > 1 then hasAttrByPath path outputs
    else lib.any (system: hasAttrByPath [ "packages" system ref.attr ] outputs
      || hasAttrByPath [ "devShells" system ref.attr ] outputs) [ "x86_64-linux" "aarch64-linux" ];

  # A configuration's own modules (nixpkgs' installer/sd-card paths left out) evaluated
  # against the upstream stubs, as eval-modules.nix does for single modules.
  stubPkgs = import ./stub-pkgs.nix { inherit lib; };
  evalHost = name:
    let args = outputs.nixosConfigurations.${name}.args;
    in (lib.evalModules {
      modules = [ ./upstream-stubs.nix { _module.args.pkgs = stubPkgs; } ]
        ++ filter (m: !builtins.isString m) args.modules;
      inherit (args) specialArgs;
    }).config;
  failedAssertions = config: map (a: a.message) (filter (a: !a.assertion) config.assertions);
  workstation = evalHost "archibaldOS";
  orangePi = evalHost "orangePi5";
  installer = evalHost "installer";

  check = name: ok: detail: { inherit name ok; detail = if ok then "" else detail; };
in
{
  checks =
    [
      (check "docs/distribution.md names flake outputs" (refs != [ ]) "no .#name found")
      (check "outputs: nixosModules default, audio, desktop, hydramesh, users, branding"
        (lib.all (m: outputs.nixosModules ? ${m}) [ "default" "audio" "desktop" "hydramesh" "users" "branding" ])
        (builtins.toJSON (builtins.attrNames outputs.nixosModules)))
      (check "outputs: x86_64 installer ISO, Orange Pi 5 and generic aarch64 SD images, tools"
        (outputs.packages.x86_64-linux ? installer
          && outputs.packages.aarch64-linux ? orange-pi-5-sd-image
          && outputs.packages.aarch64-linux ? generic-aarch64-sd-image
          && outputs.packages.x86_64-linux ? archibald-tools
          && outputs.packages.aarch64-linux ? archibald-tools)
        (builtins.toJSON (lib.mapAttrs (_: builtins.attrNames) outputs.packages)))
      (check "outputs: devShells.default, checks, formatter for both systems"
        (lib.all (s: outputs.devShells.${s} ? default && outputs.checks.${s} ? module-eval
          && outputs.formatter ? ${s}) [ "x86_64-linux" "aarch64-linux" ])
        (builtins.toJSON (builtins.attrNames outputs.checks)))
      (check "the board is an output, not an environment variable"
        (outputs.nixosConfigurations ? orangePi5 && outputs.nixosConfigurations ? genericAarch64
          && outputs.nixosConfigurations.orangePi5.args.system == "aarch64-linux")
        (builtins.toJSON (builtins.attrNames outputs.nixosConfigurations)))
      (check "archibaldOS evaluates: x86-rt RT kernel, Hyprland, HydraMesh in the musician's PipeWire waiting for the toggle"
        (failedAssertions workstation == [ ] && workstation.musnix.kernel.realtime
          && workstation.programs.hyprland.enable
          && workstation.services.hydramesh.graph == "pipewire"
          && workstation.systemd.user.services.hydramesh.unitConfig.ConditionUser == "musician"
          && workstation.systemd.user.services.hydramesh.wantedBy == [ ]
          && workstation.disko.devices.disk.main.device == "/dev/nvme0n1")
        (builtins.toJSON (failedAssertions workstation)))
      (check "orangePi5 evaluates: arm profile, serial console, U-Boot room before partition 1"
        (failedAssertions orangePi == [ ] && !orangePi.musnix.kernel.realtime
          && orangePi.services.hydramesh.graph == "pipewire"
          && lib.elem "console=ttyS2,1500000" orangePi.boot.kernelParams
          && orangePi.sdImage.firmwarePartitionOffset == 16)
        (builtins.toJSON orangePi.boot.kernelParams))
      (check "installer evaluates and carries the flake source at /etc/archibaldos"
        (failedAssertions installer == [ ] && installer.environment.etc ? archibaldos)
        (builtins.toJSON (builtins.attrNames installer.environment.etc)))
    ]
    ++ map (ref: check "docs: .#${ref.attr} exists (${lib.trim ref.line})" (exists ref) "not an output")
      (unique refs);
}
