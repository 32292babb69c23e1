# archibald.user: the musician's account, in the groups real-time audio needs.
{ config, lib, ... }:

let
  inherit (lib) mkOption mkIf types;
  cfg = config.archibald.user;
in
{
  options.archibald.user = {
    name = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "ada";
      description = "Login name of the musician's account; null creates none.";
    };
    description = mkOption {
      type = types.str;
      default = "ArchibaldOS musician";
      description = "Full name (GECOS) of the account.";
    };
    extraGroups = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Groups beyond audio, jackaudio, video and wheel.";
    };
  };

  config = mkIf (cfg.name != null) {
    users.users.${cfg.name} = {
      isNormalUser = true;
      inherit (cfg) description;
      # audio: RT limits, cpu_dma_latency, rtc; jackaudio: the system JACK server's socket.
      extraGroups = [ "audio" "jackaudio" "video" "wheel" ] ++ cfg.extraGroups;
    };
    users.groups.jackaudio = { };
  };
}
