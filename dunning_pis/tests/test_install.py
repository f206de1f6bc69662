from odoo.tests import Form, TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    """The foundation a user meets: groups, menus and the settings section."""

    def test_accounting_managers_manage_dunning(self):
        manager = new_test_user(self.env, login="acc_manager", groups="account.group_account_manager")
        self.assertTrue(manager.has_group("dunning_pis.group_dunning_manager"))
        self.assertTrue(manager.has_group("dunning_pis.group_dunning_user"))

    def test_dunning_user_is_an_invoicing_user_but_not_a_manager(self):
        user = new_test_user(self.env, login="controller", groups="dunning_pis.group_dunning_user")
        self.assertTrue(user.has_group("account.group_account_invoice"))
        self.assertFalse(user.has_group("dunning_pis.group_dunning_manager"))

    def test_dunning_menu_under_accounting_follows_groups(self):
        menus = self.env["ir.ui.menu"]
        root = self.env.ref("dunning_pis.menu_dunning_root")
        configuration = self.env.ref("dunning_pis.menu_dunning_configuration")
        self.assertEqual(root.parent_id, self.env.ref("account.menu_finance"))
        user = new_test_user(self.env, login="controller", groups="dunning_pis.group_dunning_user")
        manager = new_test_user(self.env, login="dmanager",
                                groups="dunning_pis.group_dunning_manager,base.group_system")
        clerk = new_test_user(self.env, login="clerk", groups="account.group_account_invoice")
        self.assertNotIn(configuration.id, menus.with_user(user)._visible_menu_ids())
        self.assertIn(root.id, menus.with_user(manager)._visible_menu_ids())
        self.assertIn(configuration.id, menus.with_user(manager)._visible_menu_ids())
        self.assertNotIn(root.id, menus.with_user(clerk)._visible_menu_ids())

    def test_settings_section_saves_on_the_company(self):
        company = self.env.company
        company.dunning_auto_run = True
        with Form(self.env["res.config.settings"]) as settings:
            settings.dunning_auto_run = False
        self.assertFalse(company.dunning_auto_run)
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('id="dunning_settings"', arch)
