{
  description = "ArchibaldOS: a reproducible real-time audio distribution built on NixOS";

  # No flake.lock is committed yet: it cannot be produced without network access to the
  # inputs. The first step on a machine with Nix is `nix flake lock` (docs/distribution.md).
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    musnix = {
      url = "github:musnix/musnix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    disko = {
      url = "github:nix-community/disko";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, musnix, disko }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems (system: f system);

      overlay = final: _prev: {
        archibald-tools = final.callPackage ./nix/packages/archibald-tools.nix {
          src = lib.cleanSource ./.;
        };
      };
      pkgsFor = system: import nixpkgs { inherit system; overlays = [ overlay ]; };

      # musnix's module is a function, so it carries a key: importing several of our modules
      # must not declare its options twice.
      musnixModule = { key = "archibaldos#musnix"; imports = [ musnix.nixosModules.musnix ]; };
      overlayModule = { key = "archibaldos#overlay"; nixpkgs.overlays = [ overlay ]; };
      withBase = module: { imports = [ musnixModule overlayModule module ]; };

      # One machine definition; a board is a separate output, never an environment variable.
      mkSystem = system: modules: lib.nixosSystem {
        inherit system;
        modules = [ self.nixosModules.default ] ++ modules;
        specialArgs = { flakeSource = self; };
      };

      sdImageOf = system: modules:
        (mkSystem system ([ "${nixpkgs}/nixos/modules/installer/sd-card/sd-image-aarch64.nix" ]
          ++ modules)).config.system.build.sdImage;
    in
    {
      overlays.default = overlay;

      nixosModules = {
        default = withBase ./nix/modules/default.nix;
        audio = withBase ./nix/modules/audio.nix;
        audio-setup = withBase ./nix/modules/audio-setup.nix;
        desktop = withBase ./nix/modules/desktop.nix;
        hydramesh = withBase ./nix/modules/hydramesh.nix;
        users = ./nix/modules/users.nix;
        branding = ./nix/modules/branding.nix;
        installer = withBase ./nix/modules/installer.nix;
        orange-pi-5 = ./nix/hardware/orange-pi-5.nix;
        generic-aarch64 = ./nix/hardware/generic-aarch64.nix;
      };

      nixosConfigurations = {
        # The installed x86_64 workstation: RT kernel, Hyprland, HydraMesh ready to toggle.
        archibaldOS = mkSystem "x86_64-linux" [
          disko.nixosModules.disko
          ./nix/hosts/archibaldOS.nix
        ];
        orangePi5 = mkSystem "aarch64-linux" [
          "${nixpkgs}/nixos/modules/installer/sd-card/sd-image-aarch64.nix"
          ./nix/hardware/orange-pi-5.nix
          ./nix/hosts/board.nix
        ];
        genericAarch64 = mkSystem "aarch64-linux" [
          "${nixpkgs}/nixos/modules/installer/sd-card/sd-image-aarch64.nix"
          ./nix/hardware/generic-aarch64.nix
          ./nix/hosts/board.nix
        ];
        installer = mkSystem "x86_64-linux" [
          "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix"
          ./nix/modules/installer.nix
          { environment.systemPackages = [ disko.packages.x86_64-linux.disko ]; }
        ];
      };

      packages = forAllSystems (system:
        let pkgs = pkgsFor system; in
        {
          archibald-tools = pkgs.archibald-tools;
          default = pkgs.archibald-tools;
        }
        // lib.optionalAttrs (system == "x86_64-linux") {
          # Bootable installer ISO.
          installer = self.nixosConfigurations.installer.config.system.build.isoImage;
        }
        // lib.optionalAttrs (system == "aarch64-linux") {
          orange-pi-5-sd-image = self.nixosConfigurations.orangePi5.config.system.build.sdImage;
          generic-aarch64-sd-image =
            self.nixosConfigurations.genericAarch64.config.system.build.sdImage;
        });

      devShells = forAllSystems (system:
        let pkgs = pkgsFor system; in
        {
          default = pkgs.mkShell {
            inputsFrom = [ pkgs.archibald-tools ];
            packages = with pkgs; [ clang-tools gdb shellcheck jq jack2 nixfmt ];
          };
        });

      checks = forAllSystems (system:
        let pkgs = pkgsFor system; in
        {
          archibald-tools = pkgs.archibald-tools;
          module-eval = pkgs.runCommand "archibaldos-module-eval" { nativeBuildInputs = [ pkgs.nix pkgs.jq ]; } ''
            export NIXPKGS_LIB=${nixpkgs.outPath} NIX_STATE_DIR=$TMPDIR/nix HOME=$TMPDIR
            export HYDRAMESHD=${pkgs.archibald-tools}/bin/hydrameshd
            bash ${self}/nix/tests/run-eval-tests.sh && touch $out
          '';
        }
        // lib.optionalAttrs (system == "x86_64-linux") {
          vm-hydramesh = import ./nix/checks/hydramesh-vm.nix {
            inherit pkgs;
            modules = [ self.nixosModules.default ];
          };
          vm-audio-setup = import ./nix/checks/audio-setup-vm.nix {
            inherit pkgs;
            modules = [ self.nixosModules.default ];
          };
        });

      formatter = forAllSystems (system: (pkgsFor system).nixfmt);
    };
}
