// `stocklake token create|list|revoke`: API tokens of a lake (stored hashed).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "serve/tokens.h"

namespace stocklake::cli {

CommandRunner AddTokenCommand(CLI::App& app) {
  struct Parsed {
    std::string lake;
    std::string role;
    std::string name;
    double rate_limit = 0;
    std::string which;
  };
  auto parsed = std::make_shared<Parsed>();
  auto* cmd = app.add_subcommand("token", "API tokens: create (printed once, stored hashed), list, revoke");
  cmd->require_subcommand(1);
  auto* create = cmd->add_subcommand("create", "Create a token and print it (the only time it is shown)");
  AddLakeOption(create, &parsed->lake);
  create->add_option("--role", parsed->role, "viewer | analyst | admin")->required();
  create->add_option("--name", parsed->name, "Who or what uses it (shown in the audit log)");
  create->add_option("--rate-limit", parsed->rate_limit, "Requests per second (default: the server's)")
      ->check(CLI::Range(0.0, 1e9));
  auto* list = cmd->add_subcommand("list", "List tokens (never the tokens themselves)");
  AddLakeOption(list, &parsed->lake);
  auto* revoke = cmd->add_subcommand("revoke", "Revoke tokens by id or name");
  AddLakeOption(revoke, &parsed->lake);
  revoke->add_option("id_or_name", parsed->which, "Token id (from `token list`) or name")->required();

  return [cmd, create, list, revoke, parsed]() -> int {
    if (!cmd->parsed()) return -1;
    if (create->parsed()) {
      auto role = ParseRole(parsed->role);
      if (!role.ok()) return ReportError("token create", role.status());
      TokenRecord record;
      auto token = CreateToken(parsed->lake, *role, parsed->name, parsed->rate_limit, &record);
      if (!token.ok()) return ReportError("token create", token.status());
      std::fprintf(stderr, "token %s (%s) created; it is shown only now:\n", record.id.c_str(), parsed->role.c_str());
      std::printf("%s\n", token->c_str());
      return 0;
    }
    if (list->parsed()) {
      auto tokens = LoadTokens(parsed->lake);
      if (!tokens.ok()) return ReportError("token list", tokens.status());
      std::printf("%-12s  %-8s  %-20s  %-20s  %-10s  %s\n", "id", "role", "name", "created_at", "rate_limit",
                  "revoked_at");
      for (const TokenRecord& t : *tokens) {
        std::printf("%-12s  %-8s  %-20s  %-20s  %-10g  %s\n", t.id.c_str(), std::string(RoleName(t.role)).c_str(),
                    t.name.c_str(), t.created_at.c_str(), t.rate_limit,
                    t.revoked_at.empty() ? "-" : t.revoked_at.c_str());
      }
      return 0;
    }
    if (revoke->parsed()) {
      auto n = RevokeToken(parsed->lake, parsed->which);
      if (!n.ok()) return ReportError("token revoke", n.status());
      std::printf("revoked %d token(s)\n", *n);
      return 0;
    }
    return kExitUsage;
  };
}

}  // namespace stocklake::cli
